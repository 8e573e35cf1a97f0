import sharp from 'sharp';
import type { Box } from './letterbox.js';

/** A thresholded mask at the image's own size, encoded for the wire. */
export interface BinaryMask {
  /** Single-channel 8-bit PNG: 255 where the mask is set, 0 elsewhere. */
  png: Buffer;
  /** Tightest box around the set pixels, in image pixels (x2, y2 exclusive); null when none is set. */
  box: Box | null;
  /** Share of the image's pixels that are set, 0–1. */
  coverage: number;
}

/**
 * Scales a low-resolution probability map (`mapWidth × mapHeight`, values 0–1, row-major) to
 * `width × height` with bilinear interpolation (libvips, on 8-bit levels), then thresholds it.
 * Scaling the probabilities before thresholding gives smooth edges at full size, where
 * thresholding first would give blocky ones.
 */
export async function binaryMask(
  probabilities: Float32Array,
  mapWidth: number,
  mapHeight: number,
  width: number,
  height: number,
  threshold: number,
): Promise<BinaryMask> {
  if (probabilities.length !== mapWidth * mapHeight) {
    throw new Error(`a ${mapWidth}×${mapHeight} map needs ${mapWidth * mapHeight} values, got ${probabilities.length}`);
  }
  const levels = Buffer.alloc(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) levels[i] = Math.round(Math.min(Math.max(probabilities[i], 0), 1) * 255);
  // sharp hands one raw channel back as sRGB (three) unless told to stay grey.
  const { data: scaled, info } = await sharp(levels, { raw: { width: mapWidth, height: mapHeight, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || info.width !== width || info.height !== height) {
    throw new Error(`mask resize gave ${info.width}×${info.height}×${info.channels}, not ${width}×${height}×1`);
  }
  // A level counts when its probability reaches the threshold; threshold 1 keeps only certain pixels.
  const cut = Math.max(1, Math.ceil(threshold * 255));
  let x1 = width;
  let y1 = height;
  let x2 = -1;
  let y2 = -1;
  let set = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (scaled[row + x] >= cut) {
        scaled[row + x] = 255;
        set++;
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      } else {
        scaled[row + x] = 0;
      }
    }
  }
  // b-w again: a single-channel PNG (colour type 0), a third of the size of an RGB one.
  const png = await sharp(scaled, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
  const box = set > 0 ? { x1, y1, x2: x2 + 1, y2: y2 + 1 } : null;
  return { png, box, coverage: set / (width * height) };
}
