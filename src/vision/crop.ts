import { errors } from '../errors.js';
import { cleanSharpMessage } from './image.js';
import { openSource, orientedSize, roundHalfEven, type DecodedPixels, type PixelSource } from './letterbox.js';

/** Where the centre crop sits in the resized image (torchvision's Resize(shorter) + CenterCrop). */
export interface CropGeometry {
  srcWidth: number;
  srcHeight: number;
  resizedWidth: number;
  resizedHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * torchvision's geometry: the shorter side becomes `shorter`, the longer one
 * `int(shorter * long / short)` (truncated), then a `width × height` crop at
 * `int(round((resized - crop) / 2))` with Python's round (halves to even: bus.jpg resized to
 * 256×341 is cropped from row 58, not 59). A crop larger than the resized image is refused.
 */
export function shorterCropGeometry(srcWidth: number, srcHeight: number, shorter: number, width: number, height: number): CropGeometry {
  const portrait = srcWidth <= srcHeight;
  const [short, long] = portrait ? [srcWidth, srcHeight] : [srcHeight, srcWidth];
  const newLong = Math.floor((shorter * long) / short);
  const [resizedWidth, resizedHeight] = portrait ? [shorter, newLong] : [newLong, shorter];
  if (width > resizedWidth || height > resizedHeight) {
    throw new RangeError(`a ${width}×${height} crop does not fit the ${resizedWidth}×${resizedHeight} resized image`);
  }
  return {
    srcWidth, srcHeight, resizedWidth, resizedHeight, width, height,
    left: roundHalfEven((resizedWidth - width) / 2),
    top: roundHalfEven((resizedHeight - height) / 2),
  };
}

export interface CropResult extends DecodedPixels {
  geometry: CropGeometry;
}

/**
 * Decodes, orients, resizes the shorter side to `shorter` and centre-crops `width × height`, as
 * torchvision's `Resize(shorter)` + `CenterCrop` do on a PIL image. libvips' `linear` kernel
 * anti-aliases when shrinking as PIL's bilinear filter does; shrink-on-load (JPEG DCT scaling)
 * is off because PIL decodes at full size. Measured against torchvision 0.14: at most 1–2 levels
 * apart per channel on the sample images (mean 0.1–0.23).
 */
export async function shorterCropImage(source: PixelSource, shorter: number, width: number, height: number, maxPixels: number): Promise<CropResult> {
  try {
    const image = openSource(source, maxPixels);
    const { width: srcWidth, height: srcHeight } = await orientedSize(source, image);
    const geometry = shorterCropGeometry(srcWidth, srcHeight, shorter, width, height);
    const { data, info } = await image
      .removeAlpha()
      .toColourspace('srgb')
      .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false })
      .extract({ left: geometry.left, top: geometry.top, width, height })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    }
    return { data, width: srcWidth, height: srcHeight, geometry };
  } catch (error) {
    throw errors.invalidImage(cleanSharpMessage(error));
  }
}
