import { imageSize } from 'image-size';
import sharp, { type Sharp } from 'sharp';
import { errors } from '../errors.js';
import { cleanSharpMessage, orientedDimensions, sniffImageFormat } from './image.js';

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Where the source image sits inside the model's input after letterboxing. */
export interface LetterboxGeometry {
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  /** Source pixels → input pixels. */
  scale: number;
  resizedWidth: number;
  resizedHeight: number;
  padLeft: number;
  padTop: number;
}

/** Python's round(): halves go to the even neighbour. Ultralytics' letterbox relies on it. */
export function roundHalfEven(x: number): number {
  // `+ 0` turns Math.round's -0 (for -0.5 < x < 0) into 0: Python returns a plain 0 there, and a
  // geometry with padLeft -0 breaks Object.is-based comparisons.
  const r = Math.round(x) + 0;
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The geometry of Ultralytics' LetterBox(auto=False, center=True): scale to fit, centre, pad.
 * Padding rounds `d - 0.1` / `d + 0.1` exactly as it does, so boxes map back to the same pixels.
 */
export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): LetterboxGeometry {
  const scale = Math.min(dstHeight / srcHeight, dstWidth / srcWidth);
  const resizedWidth = Math.max(1, roundHalfEven(srcWidth * scale));
  const resizedHeight = Math.max(1, roundHalfEven(srcHeight * scale));
  const dw = (dstWidth - resizedWidth) / 2;
  const dh = (dstHeight - resizedHeight) / 2;
  return {
    srcWidth, srcHeight, dstWidth, dstHeight, scale, resizedWidth, resizedHeight,
    padLeft: roundHalfEven(dw - 0.1),
    padTop: roundHalfEven(dh - 0.1),
  };
}

/** Maps a box from model-input pixels back to source pixels and clips it to the source image. */
export function unletterboxBox(box: Box, g: LetterboxGeometry): Box {
  const clipX = (v: number) => Math.min(Math.max(v, 0), g.srcWidth);
  const clipY = (v: number) => Math.min(Math.max(v, 0), g.srcHeight);
  return {
    x1: clipX((box.x1 - g.padLeft) / g.scale),
    y1: clipY((box.y1 - g.padTop) / g.scale),
    x2: clipX((box.x2 - g.padLeft) / g.scale),
    y2: clipY((box.y2 - g.padTop) / g.scale),
  };
}

export interface DecodedPixels {
  /** Interleaved RGB, row-major, `width * height * 3` bytes. */
  data: Buffer;
  width: number;
  height: number;
}

export interface LetterboxResult extends DecodedPixels {
  geometry: LetterboxGeometry;
}

/**
 * Decoder options shared by every pipeline: orientation applied, bounded pixels, strict decode.
 * Embedded ICC profiles are ignored, as OpenCV (which the models were trained through) ignores
 * them; converting costs more than the decode itself (bus.jpg: 31 ms → 12 ms without it).
 */
export function openImage(bytes: Uint8Array, maxPixels: number): Sharp {
  // failOn 'error' rejects truncated and corrupt files instead of returning half-grey pixels.
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true, ignoreIcc: true }).autoOrient();
}

/** The whole image decoded once by {@link decodeWhole}: its size is that of `data`. */
export interface WholeImage extends DecodedPixels {
  readonly whole: true;
}

/** An encoded image, or one {@link decodeWhole} decoded, which is resized as the original would be. */
export type PixelSource = Uint8Array | WholeImage;

/** {@link openImage} for either kind of source: decoded pixels need neither decoding nor orienting. */
export function openSource(source: PixelSource, maxPixels: number): Sharp {
  if (source instanceof Uint8Array) return openImage(source, maxPixels);
  if (source.data.length !== source.width * source.height * 3) throw new Error(`decoded pixels of ${source.data.length} bytes are not ${source.width}×${source.height} RGB`);
  return sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } });
}

/**
 * The size of a source as the pipeline sees it, oriented (EXIF orientations 5–8 swap the sides).
 * A JPEG's is read from its header here, in JavaScript: sharp's `metadata()` is a trip through
 * libuv's pool and libvips that cost 0.3–0.6 ms of a model worker's time per request. Other
 * formats, and JPEGs whose header this cannot read, ask sharp.
 */
export async function orientedSize(source: PixelSource, image: Sharp): Promise<{ width: number; height: number }> {
  if (!(source instanceof Uint8Array)) return { width: source.width, height: source.height };
  let size: ReturnType<typeof orientedDimensions>;
  if (sniffImageFormat(source) === 'jpeg') {
    try {
      size = orientedDimensions(imageSize(source));
    } catch {
      // sharp says what is wrong with it, below
    }
  }
  size ??= orientedDimensions(await image.metadata());
  if (!size) throw new Error('no dimensions');
  return size;
}

/**
 * Largest image decoded whole for a preview: 8 MP is 24 MB of RGB held per request (a batch holds
 * several) until the preview is encoded. Larger ones keep the streamed fit, and the helper.
 */
export const WHOLE_DECODE_MAX_PIXELS = 8_000_000;

/** How a model input is fitted, for {@link fitsFromWhole}: the resize's target for a source size, and sharp's shrink-on-load setting. */
export interface FitPlan {
  resizeTo(width: number, height: number): { width: number; height: number };
  /** sharp's `fastShrinkOnLoad` for the fit. @defaultValue true */
  fastShrinkOnLoad?: boolean;
}

/**
 * Whether a model input fitted from the whole image decoded once ({@link decodeWhole}) is the very
 * input fitted from the file, so a worker may decode once for the input and the history's preview
 * both. Reads only the header. Not where sharp would shrink on load (pipeline.cc: a JPEG by 2, 4
 * or 8 once the smaller of the two shrinks reaches 2 with `fastShrinkOnLoad`, or 4 without; a WebP
 * by any shrink with it), nor for alpha (sharp resizes premultiplied), an EXIF rotation (sharp
 * resizes before it rotates), 16-bit samples (sharp resizes before it converts to 8 bits), formats
 * other than JPEG, PNG and WebP, or images over {@link WHOLE_DECODE_MAX_PIXELS}.
 */
export async function fitsFromWhole(bytes: Uint8Array, maxPixels: number, plan: FitPlan): Promise<boolean> {
  try {
    const { format, width, height, orientation, hasAlpha, depth } = await openImage(bytes, maxPixels).metadata();
    if (!width || !height || width * height > WHOLE_DECODE_MAX_PIXELS) return false;
    if (hasAlpha || (orientation ?? 1) !== 1 || depth !== 'uchar') return false;
    const target = plan.resizeTo(width, height);
    const shrink = Math.min(width / target.width, height / target.height);
    const fast = plan.fastShrinkOnLoad ?? true;
    switch (format) {
      case 'png':
        return true;
      case 'jpeg':
        return shrink < (fast ? 2 : 4);
      case 'webp':
        return !fast || shrink <= 1;
      default:
        return false;
    }
  } catch {
    return false; // the fit will say what is wrong with the image
  }
}

/**
 * The whole image decoded once, oriented, as RGB: for a model input and the history's preview
 * both, where a second decode would cost more than keeping these pixels for a moment.
 */
export async function decodeWhole(bytes: Uint8Array, maxPixels: number): Promise<WholeImage> {
  try {
    const { data, info } = await openImage(bytes, maxPixels).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    return { data, width: info.width, height: info.height, whole: true };
  } catch (error) {
    throw errors.invalidImage(cleanSharpMessage(error));
  }
}

/**
 * Decodes, orients and letterboxes in one libvips pipeline (no intermediate full-size buffer in JS).
 * The resize is bilinear; libvips anti-aliases when shrinking where OpenCV does not, which moves
 * boxes by well under a pixel at the model's scale.
 */
export async function letterboxImage(source: PixelSource, dstWidth: number, dstHeight: number, pad: number, maxPixels: number): Promise<LetterboxResult> {
  try {
    const image = openSource(source, maxPixels);
    const { width: srcWidth, height: srcHeight } = await orientedSize(source, image);
    const geometry = letterboxGeometry(srcWidth, srcHeight, dstWidth, dstHeight);
    const padRight = dstWidth - geometry.resizedWidth - geometry.padLeft;
    const padBottom = dstHeight - geometry.resizedHeight - geometry.padTop;
    const { data, info } = await image
      .removeAlpha()
      .toColourspace('srgb')
      .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: 'linear' })
      .extend({ left: geometry.padLeft, top: geometry.padTop, right: padRight, bottom: padBottom, background: { r: pad, g: pad, b: pad } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== dstWidth || info.height !== dstHeight) {
      throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    }
    return { data, width: srcWidth, height: srcHeight, geometry };
  } catch (error) {
    throw errors.invalidImage(cleanSharpMessage(error));
  }
}
