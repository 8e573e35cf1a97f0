import sharp from 'sharp';
import type { Box } from './letterbox.js';

/** Side of a gallery face's thumbnail, px: what the dashboard shows, and small enough to store per face (~5 KB). */
export const FACE_THUMBNAIL_SIDE = 160;

/**
 * A square JPEG of a face: the region around `box` (in EXIF-oriented pixels, as face results are)
 * enlarged by `scale` and squared, clamped to the image, resized to {@link FACE_THUMBNAIL_SIDE}.
 */
export async function faceThumbnail(bytes: Uint8Array, box: Box, scale = 1.2): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  // EXIF orientations 5–8 turn the image a quarter: its oriented width is the stored height.
  const [width, height] = (meta.orientation ?? 1) >= 5 ? [meta.height ?? 0, meta.width ?? 0] : [meta.width ?? 0, meta.height ?? 0];
  const oriented = sharp(bytes, { failOn: 'none' }).rotate();
  const half = (Math.max(box.x2 - box.x1, box.y2 - box.y1) * scale) / 2;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const left = Math.max(0, Math.floor(cx - half));
  const top = Math.max(0, Math.floor(cy - half));
  const right = Math.min(width, Math.ceil(cx + half));
  const bottom = Math.min(height, Math.ceil(cy + half));
  return oriented
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .resize(FACE_THUMBNAIL_SIDE, FACE_THUMBNAIL_SIDE, { fit: 'cover' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80, mozjpeg: false })
    .toBuffer();
}
