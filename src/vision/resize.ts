import { errors } from '../errors.js';
import { cleanSharpMessage } from './image.js';
import { openSource, orientedSize, type Box, type DecodedPixels, type PixelSource } from './letterbox.js';

/** A plain (aspect-changing) resize: each axis scales on its own, nothing is padded. */
export interface StretchGeometry {
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
}

export interface ResizeResult extends DecodedPixels {
  geometry: StretchGeometry;
}

/** Maps a box from model-input pixels back to source pixels and clips it to the source image. */
export function unstretchBox(box: Box, g: StretchGeometry): Box {
  const sx = g.srcWidth / g.dstWidth;
  const sy = g.srcHeight / g.dstHeight;
  const clipX = (v: number) => Math.min(Math.max(v * sx, 0), g.srcWidth);
  const clipY = (v: number) => Math.min(Math.max(v * sy, 0), g.srcHeight);
  return { x1: clipX(box.x1), y1: clipY(box.y1), x2: clipX(box.x2), y2: clipY(box.y2) };
}

/**
 * Decodes, orients and resizes to exactly `dstWidth × dstHeight` in one libvips pipeline, ignoring
 * the aspect ratio, for models trained on stretched inputs (CenterNet in `@vladmandic/human` is fed
 * `tf.image.resizeBilinear` of the whole frame). Bilinear, as there; libvips anti-aliases when
 * shrinking where tfjs does not.
 */
export async function resizeImage(source: PixelSource, dstWidth: number, dstHeight: number, maxPixels: number): Promise<ResizeResult> {
  try {
    const image = openSource(source, maxPixels);
    const { width: srcWidth, height: srcHeight } = await orientedSize(source, image);
    const { data, info } = await image
      .removeAlpha()
      .toColourspace('srgb')
      .resize(dstWidth, dstHeight, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== dstWidth || info.height !== dstHeight) {
      throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    }
    return { data, width: srcWidth, height: srcHeight, geometry: { srcWidth, srcHeight, dstWidth, dstHeight } };
  } catch (error) {
    throw errors.invalidImage(cleanSharpMessage(error));
  }
}
