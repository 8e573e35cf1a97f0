/**
 * What an upload to the files API must be, checked in the original's order — a file name, a
 * .jpg/.jpeg/.png extension, the size, JPEG or PNG content (its magic bytes) — and then, beyond
 * the original, a readable header within the pixel limit, since Argus decodes the image later.
 * Every refusal is a 400, as the original's were.
 */
import { ArgusError, errors } from '../../errors.js';
import { probeImage, sniffImageFormat } from '../../vision/image.js';

/** An upload as the route read it. */
export interface IncomingFile {
  bytes: Uint8Array;
  filename: string;
  /** Cut at the size limit by the multipart reader (the file is larger than the limit). */
  truncated?: boolean;
}

/** An upload that passed: its format and content type (told by content) and its size in pixels. */
export interface CheckedUpload {
  format: 'jpeg' | 'png';
  contentType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

/** The extensions the original accepted (its ALLOWED_EXTENSIONS), compared case-insensitively. */
const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

const CONTENT_TYPES = { jpeg: 'image/jpeg', png: 'image/png' } as const;

/** A file name's extension as Python's `os.path.splitext` sees it: leading dots are not one. */
export function extensionOf(filename: string): string {
  const base = filename.replace(/^\.+/, '');
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot).toLowerCase();
}

const megabytes = (bytes: number) => `${Number((bytes / 1_048_576).toFixed(2))} MB`;

/** Passes an upload or throws the 400 that says why not. */
export async function checkUpload(file: IncomingFile, limits: { maxBytes: number; maxPixels: number }): Promise<CheckedUpload> {
  if (!file.filename) throw errors.fileNameMissing();
  const extension = extensionOf(file.filename);
  if (!EXTENSIONS.has(extension)) throw errors.fileTypeNotAllowed(extension.slice(0, 20));
  if (file.truncated || file.bytes.length > limits.maxBytes) {
    throw errors.fileTooLarge(`at most ${megabytes(limits.maxBytes)} (${limits.maxBytes} bytes, ARGUS_FILE_MAX_BYTES).`);
  }
  const format = sniffImageFormat(file.bytes);
  if (format !== 'jpeg' && format !== 'png') {
    throw errors.fileNotAnImage(`${format ? `it is a ${format.toUpperCase()} image` : 'its content is not JPEG or PNG'} (checked by content, not by name).`);
  }
  try {
    const { width, height } = await probeImage(file.bytes, { maxPixels: limits.maxPixels });
    return { format, contentType: CONTENT_TYPES[format], width, height };
  } catch (error) {
    // The original stored such files and failed at inference; here they are refused as it refused bad ones.
    if (error instanceof ArgusError && error.code === 'image_too_large') throw errors.fileTooLarge(error.message);
    if (error instanceof ArgusError && error.status < 500) throw errors.fileNotAnImage(error.message);
    throw error;
  }
}
