/**
 * Between images and the VAE's pixel space: RGB in [-1, 1], channels first. Decoding, orientation
 * and resizing are libvips's (vision/resize); PNG encoding is sharp's, with fixed settings so the
 * same pixels always give the same bytes.
 */
import sharp from 'sharp';
import { resizeImage } from '../../vision/resize.js';

export interface RgbImage {
  /** Interleaved RGB, 8 bits per channel. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes (EXIF-oriented, alpha dropped) and resizes to exactly `width × height`. */
export async function decodeRgb(bytes: Uint8Array, width: number, height: number, maxPixels: number): Promise<RgbImage> {
  const { data } = await resizeImage(bytes, width, height, maxPixels);
  return { data, width, height };
}

/** 8-bit RGB → the VAE encoder's input: x/127.5 − 1, channels first. */
export function rgbToSigned(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = image.data[p * 3 + c] / 127.5 - 1;
  }
  return out;
}

/**
 * The VAE decoder's output (channels first, roughly [-1, 1]) → 8-bit RGB, as diffusers does it:
 * clamp(x/2 + 0.5, 0, 1), × 255, rounded.
 */
export function signedToRgb(values: Float32Array, width: number, height: number, offset = 0): RgbImage {
  const plane = width * height;
  const data = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[offset + c * plane + p] / 2 + 0.5;
      data[p * 3 + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    }
  }
  return { data, width, height };
}

/** PNG bytes of an RGB image; sharp's zlib output is a pure function of the pixels and these options. */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
}
