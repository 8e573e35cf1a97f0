import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ArgusError } from '../errors.js';
import { resizeImage, unstretchBox, type StretchGeometry } from './resize.js';

const IMAGES_DIR = join(process.env.ARGUS_MODELS_DIR ?? '../shared/models', '..', 'images');
const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const motorcycle = readFileSync(join(IMAGES_DIR, 'misc/motorcycle_left.png'));
const MAX_PIXELS = 40_000_000;

describe('unstretchBox', () => {
  const g: StretchGeometry = { srcWidth: 810, srcHeight: 1080, dstWidth: 512, dstHeight: 512 };

  it('scales each axis by its own factor', () => {
    expect(unstretchBox({ x1: 0, y1: 0, x2: 512, y2: 512 }, g)).toEqual({ x1: 0, y1: 0, x2: 810, y2: 1080 });
    const box = unstretchBox({ x1: 256, y1: 128, x2: 384, y2: 256 }, g);
    expect(box.x1).toBeCloseTo(405, 9);
    expect(box.y1).toBeCloseTo(270, 9);
    expect(box.x2).toBeCloseTo(607.5, 9);
    expect(box.y2).toBeCloseTo(540, 9);
  });

  it('clips boxes reaching past the input edge to the source image', () => {
    expect(unstretchBox({ x1: -3, y1: -0.5, x2: 520, y2: 600 }, g)).toEqual({ x1: 0, y1: 0, x2: 810, y2: 1080 });
  });
});

describe('resizeImage', () => {
  it('stretches bus.jpg (810×1080) to 512×512 without padding and reports the source size', async () => {
    const r = await resizeImage(bus, 512, 512, MAX_PIXELS);
    expect([r.width, r.height]).toEqual([810, 1080]);
    expect(r.geometry).toEqual({ srcWidth: 810, srcHeight: 1080, dstWidth: 512, dstHeight: 512 });
    expect(r.data.length).toBe(512 * 512 * 3);
    // Picture content reaches every edge: no band of one padding colour.
    const row = (y: number) => r.data.subarray(y * 512 * 3, (y + 1) * 512 * 3);
    expect(new Set(row(0)).size).toBeGreaterThan(10);
    expect(new Set(row(511)).size).toBeGreaterThan(10);
  });

  it('matches a plain sharp resize of the same image', async () => {
    const r = await resizeImage(motorcycle, 64, 48, MAX_PIXELS);
    expect([r.width, r.height]).toEqual([741, 500]);
    const reference = await sharp(motorcycle).removeAlpha().resize(64, 48, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    expect(r.data.equals(reference)).toBe(true);
  });

  it('applies EXIF orientation before resizing, and outputs RGB for a greyscale source', async () => {
    // 40×20 stored, orientation 6 (rotate 90° CW): a person sees it as 20×40, top half white, bottom half black.
    const stored = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 20, height: 20, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }])
      .greyscale()
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await resizeImage(stored, 16, 16, MAX_PIXELS);
    expect([r.width, r.height]).toEqual([20, 40]);
    expect(r.data.length).toBe(16 * 16 * 3);
    // Stored left half (white) is the seen top half after rotating 90° clockwise.
    expect(r.data[(2 * 16 + 8) * 3]).toBeGreaterThan(230);
    expect(r.data[(13 * 16 + 8) * 3]).toBeLessThan(25);
  });

  it('rejects a truncated file and an image over the pixel limit as invalid_image', async () => {
    const attempts = [() => resizeImage(bus.subarray(0, bus.length / 2), 512, 512, MAX_PIXELS), () => resizeImage(bus, 512, 512, 1000)];
    for (const attempt of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgusError);
      expect((error as ArgusError).code).toBe('invalid_image');
    }
  });
});
