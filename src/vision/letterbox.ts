import sharp, { type Sharp } from 'sharp';
import { errors } from '../errors.js';
import { cleanSharpMessage } from './image.js';

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

/** An encoded image, or one already decoded (oriented RGB) that is resized as the original would be. */
export type PixelSource = Uint8Array | DecodedPixels;

const isDecoded = (source: PixelSource): source is DecodedPixels => !(source instanceof Uint8Array);

/** {@link openImage} for either kind of source: decoded pixels need neither decoding nor orienting. */
export function openSource(source: PixelSource, maxPixels: number): Sharp {
  if (!isDecoded(source)) return openImage(source, maxPixels);
  return sharp(source.data, { raw: { width: source.width, height: source.height, channels: 3 } });
}

/**
 * Whether a model input fitted to `dstWidth × dstHeight` from the whole image decoded once
 * ({@link decodeWhole}) is the very input fitted from the file, so a worker may decode once for
 * the input and the history's preview both. Not where the decoder would shrink on load (JPEG and
 * WebP decode at 1/2, 1/4 or 1/8 when the fit shrinks by 2 or more; `shrinkOnLoad: false` where
 * the fit turns that off), nor for an image with alpha (sharp resizes it premultiplied) or an EXIF
 * rotation (sharp resizes before it rotates). Reads only the header.
 */
export async function fitsFromWhole(bytes: Uint8Array, dstWidth: number, dstHeight: number, maxPixels: number, options: { shrinkOnLoad?: boolean } = {}): Promise<boolean> {
  try {
    const { width, height, orientation, hasAlpha } = await openImage(bytes, maxPixels).metadata();
    if (!width || !height || hasAlpha || (orientation ?? 1) !== 1) return false;
    return options.shrinkOnLoad === false || Math.max(width / dstWidth, height / dstHeight) < 2;
  } catch {
    return false; // the fit will say what is wrong with the image
  }
}

/**
 * The whole image decoded once, oriented, as RGB: for a model input and the history's preview
 * both, where a second decode would cost more than keeping these pixels for a moment.
 */
export async function decodeWhole(bytes: Uint8Array, maxPixels: number): Promise<DecodedPixels> {
  try {
    const { data, info } = await openImage(bytes, maxPixels).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    return { data, width: info.width, height: info.height };
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
    const { width: w0, height: h0, orientation } = await image.metadata();
    if (!w0 || !h0) throw new Error('no dimensions');
    const [srcWidth, srcHeight] = (orientation ?? 1) >= 5 ? [h0, w0] : [w0, h0];
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
