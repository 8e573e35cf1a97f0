import { imageSize } from 'image-size';
import { errors } from '../errors.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff';

export interface ImageInfo {
  format: ImageFormat;
  /** Width after EXIF orientation is applied: the image as a person sees it. */
  width: number;
  height: number;
}

/**
 * Identifies an image by its first bytes, never by name or declared type. Anything else (SVG, PDF,
 * HEIF, text) is refused before it reaches a decoder.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0x00) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0x00 && b[3] === 0x2a))) return 'tiff';
  return undefined;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export interface ProbeOptions {
  /** Largest accepted width × height. */
  maxPixels: number;
}

/**
 * Reads format and dimensions from the header alone (image-size parses only the bytes it needs),
 * so non-images and decompression bombs are refused in microseconds, before they are queued or
 * reach a decoder. Pixel data is checked later, when a worker decodes.
 */
export async function probeImage(bytes: Uint8Array, options: ProbeOptions): Promise<ImageInfo> {
  if (bytes.length === 0) throw errors.missingImage('the image is empty (0 bytes).');
  const format = sniffImageFormat(bytes);
  if (!format) throw errors.unsupportedMediaType('The upload is not an image Argus can read.');
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch (error) {
    throw errors.invalidImage(`its ${format.toUpperCase()} header is unreadable (${cleanSharpMessage(error)}).`);
  }
  const oriented = orientedDimensions(size);
  if (!oriented) throw errors.invalidImage('the header has no dimensions.');
  const { width, height } = oriented;
  if (width * height > options.maxPixels) throw errors.imageTooLarge(width, height, options.maxPixels);
  return { format, width, height };
}

/** A header's size as the image is shown: EXIF orientations 5–8 swap the sides. Undefined without both sides. */
export function orientedDimensions(size: { width?: number; height?: number; orientation?: number }): { width: number; height: number } | undefined {
  const { width, height, orientation } = size;
  if (!width || !height) return undefined;
  return (orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/** libvips messages carry a trailing newline and internal prefixes; keep them short and readable. */
export function cleanSharpMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
