import sharp, { type KernelEnum } from 'sharp';
import { errors } from '../errors.js';
import { cleanSharpMessage } from './image.js';
import { openImage, type Box } from './letterbox.js';

/** Decoded, oriented pixels, interleaved, row-major: `width * height * channels` bytes. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * Decodes and orients an image at its own size, as RGB or RGBA (opaque), for tasks that look at
 * the image more than once (OCR crops text lines from it, faces crop each face for attributes).
 */
export async function decodeRaw(bytes: Uint8Array, maxPixels: number, channels: 3 | 4 = 3): Promise<RawImage> {
  try {
    const image = openImage(bytes, maxPixels).removeAlpha().toColourspace('srgb');
    const { data, info } = await (channels === 4 ? image.ensureAlpha(1) : image).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`unexpected decoder output with ${info.channels} channels`);
    return { data, width: info.width, height: info.height, channels };
  } catch (error) {
    throw errors.invalidImage(cleanSharpMessage(error));
  }
}

function fromRaw(image: RawImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

export interface ResizeRawOptions {
  /** Pad right and bottom with this grey level up to `padWidth × padHeight` (the resized image sits top-left). */
  padWidth?: number;
  padHeight?: number;
  pad?: number;
  /** Return RGBA (opaque) instead of RGB. */
  alpha?: boolean;
  /** libvips kernel. @defaultValue 'linear' (OpenCV's INTER_LINEAR, what most models were trained through) */
  kernel?: keyof KernelEnum;
}

/** Resizes raw pixels to `width × height` (bilinear, aspect not kept) and returns RGB, or RGBA with `alpha`. */
export async function resizeRaw(image: RawImage, width: number, height: number, options: ResizeRawOptions = {}): Promise<RawImage> {
  const source = fromRaw(image);
  let pipeline = (options.alpha ? source.ensureAlpha(1) : source.removeAlpha()).resize(width, height, { fit: 'fill', kernel: options.kernel ?? 'linear' });
  const right = (options.padWidth ?? width) - width;
  const bottom = (options.padHeight ?? height) - height;
  if (right > 0 || bottom > 0) {
    const v = options.pad ?? 0;
    pipeline = pipeline.extend({ right, bottom, background: { r: v, g: v, b: v } });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: options.alpha ? 4 : 3 };
}

/**
 * Cuts `box` (source pixels, may reach outside the image) and resizes it to `width × height` as
 * RGB. Parts outside the image are filled with `pad`, so a face at the edge keeps its place in the crop.
 */
export async function cropResizeRaw(image: RawImage, box: Box, width: number, height: number, pad = 0): Promise<RawImage> {
  const x1 = Math.round(box.x1);
  const y1 = Math.round(box.y1);
  const x2 = Math.max(x1 + 1, Math.round(box.x2));
  const y2 = Math.max(y1 + 1, Math.round(box.y2));
  const left = Math.max(0, x1);
  const top = Math.max(0, y1);
  const right = Math.min(image.width, x2);
  const bottom = Math.min(image.height, y2);
  if (right <= left || bottom <= top) throw new RangeError(`box [${x1}, ${y1}, ${x2}, ${y2}] lies outside the ${image.width}×${image.height} image`);
  const background = { r: pad, g: pad, b: pad };
  // Extract and pad in one pass, then resize from a buffer: libvips applies resize before extend in one pipeline.
  const { data, info } = await fromRaw(image)
    .removeAlpha()
    .extract({ left, top, width: right - left, height: bottom - top })
    .extend({ left: left - x1, top: top - y1, right: x2 - right, bottom: y2 - bottom, background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return resizeRaw({ data, width: info.width, height: info.height, channels: 3 }, width, height);
}
