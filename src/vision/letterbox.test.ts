import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ArgusError } from '../errors.js';
import { letterboxGeometry, letterboxImage, roundHalfEven, unletterboxBox, type Box, openImage, openSource, orientedSize } from './letterbox.js';

const IMAGES_DIR = join(process.env.ARGUS_MODELS_DIR ?? '../shared/models', '..', 'images');
const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const zidane = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));
const MAX_PIXELS = 40_000_000;

describe('roundHalfEven', () => {
  it('rounds halves to the even neighbour, like Python round()', () => {
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-0.5)).toBe(0);
    expect(roundHalfEven(-1.5)).toBe(-2);
    expect(roundHalfEven(-2.5)).toBe(-2);
  });

  it('rounds non-halves to the nearest integer', () => {
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
    expect(roundHalfEven(2.4)).toBe(2);
    expect(roundHalfEven(2.6)).toBe(3);
    expect(roundHalfEven(318.4)).toBe(318);
    expect(roundHalfEven(-0.1)).toBe(0);
    expect(roundHalfEven(-2.6)).toBe(-3);
    expect(roundHalfEven(7)).toBe(7);
  });

  it('never returns negative zero', () => {
    expect(Object.is(roundHalfEven(-0.1), 0)).toBe(true);
    expect(Object.is(roundHalfEven(-0.5), 0)).toBe(true);
  });
});

describe('letterboxGeometry', () => {
  it('fits a portrait image (bus.jpg 810×1080) and pads left and right', () => {
    expect(letterboxGeometry(810, 1080, 640, 640)).toEqual({
      srcWidth: 810, srcHeight: 1080, dstWidth: 640, dstHeight: 640,
      scale: 640 / 1080, resizedWidth: 480, resizedHeight: 640, padLeft: 80, padTop: 0,
    });
  });

  it('fits a landscape image (zidane.jpg 1280×720) and pads top and bottom', () => {
    expect(letterboxGeometry(1280, 720, 640, 640)).toEqual({
      srcWidth: 1280, srcHeight: 720, dstWidth: 640, dstHeight: 640,
      scale: 0.5, resizedWidth: 640, resizedHeight: 360, padLeft: 0, padTop: 140,
    });
  });

  // Expected values from Ultralytics' LetterBox in Python: new_unpad = round(shape * r),
  // top = round(dh - 0.1), left = round(dw - 0.1), bottom/right take the remainder.
  it.each([
    // [srcW, srcH, dstW, dstH, resizedW, resizedH, left, right, top, bottom]
    [1000, 333, 640, 640, 640, 213, 0, 0, 213, 214],
    [333, 1000, 640, 640, 213, 640, 213, 214, 0, 0],
    [1280, 6, 640, 640, 640, 3, 0, 0, 318, 319],
    [1280, 5, 640, 640, 640, 2, 0, 0, 319, 319], // 2.5 rounds to 2, not 3
    [101, 50, 64, 64, 64, 32, 0, 0, 16, 16],
    [3, 7, 320, 320, 137, 320, 91, 92, 0, 0],
  ])('matches Ultralytics for %i×%i → %i×%i', (sw, sh, dw, dh, rw, rh, left, right, top, bottom) => {
    const g = letterboxGeometry(sw, sh, dw, dh);
    expect([g.resizedWidth, g.resizedHeight]).toEqual([rw, rh]);
    expect([g.padLeft, g.padTop]).toEqual([left, top]);
    expect(dw - g.resizedWidth - g.padLeft).toBe(right);
    expect(dh - g.resizedHeight - g.padTop).toBe(bottom);
    expect(g.scale).toBe(Math.min(dw / sw, dh / sh));
  });

  it('puts the odd pixel of uneven padding at the bottom/right', () => {
    const g = letterboxGeometry(1000, 333, 640, 640);
    const dh = (640 - 213) / 2;
    expect(dh).toBe(213.5);
    expect(g.padTop).toBe(roundHalfEven(dh - 0.1));
    expect(640 - 213 - g.padTop).toBe(roundHalfEven(dh + 0.1));
  });

  it('keeps at least one pixel for extreme aspect ratios', () => {
    const g = letterboxGeometry(10_000, 1, 640, 640);
    expect(g.resizedWidth).toBe(640);
    expect(g.resizedHeight).toBe(1);
    expect(g.padTop).toBe(319);
  });
});

describe('unletterboxBox', () => {
  const forward = (b: Box, g: ReturnType<typeof letterboxGeometry>): Box => ({
    x1: b.x1 * g.scale + g.padLeft,
    y1: b.y1 * g.scale + g.padTop,
    x2: b.x2 * g.scale + g.padLeft,
    y2: b.y2 * g.scale + g.padTop,
  });

  it.each([
    [810, 1080, { x1: 48.5, y1: 398.25, x2: 245.75, y2: 902 }],
    [1280, 720, { x1: 747.1, y1: 41.3, x2: 1141.9, y2: 711.7 }],
    [1000, 333, { x1: 0, y1: 0, x2: 1000, y2: 333 }],
    [333, 1000, { x1: 12.345, y1: 678.9, x2: 321.5, y2: 999.99 }],
  ])('inverts the forward mapping for a %i×%i source', (w, h, box) => {
    const g = letterboxGeometry(w, h, 640, 640);
    const back = unletterboxBox(forward(box, g), g);
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(back[k] - box[k])).toBeLessThan(1e-9);
  });

  it('maps exact corners of the resized area to the image corners', () => {
    const g = letterboxGeometry(810, 1080, 640, 640);
    expect(unletterboxBox({ x1: 80, y1: 0, x2: 560, y2: 640 }, g)).toEqual({ x1: 0, y1: 0, x2: 810, y2: 1080 });
    const box = unletterboxBox({ x1: 320, y1: 320, x2: 400, y2: 480 }, g);
    expect(box.x1).toBeCloseTo(405, 9);
    expect(box.y1).toBeCloseTo(540, 9);
    expect(box.x2).toBeCloseTo(540, 9);
    expect(box.y2).toBeCloseTo(810, 9);
  });

  it('clips boxes reaching into the padding to the source image', () => {
    const g = letterboxGeometry(1280, 720, 640, 640); // scale 0.5, padTop 140
    expect(unletterboxBox({ x1: -10, y1: 100, x2: 700, y2: 520 }, g)).toEqual({ x1: 0, y1: 0, x2: 1280, y2: 720 });
    expect(unletterboxBox({ x1: 10, y1: 130, x2: 20, y2: 150 }, g)).toEqual({ x1: 20, y1: 0, x2: 40, y2: 20 });
    expect(unletterboxBox({ x1: 600, y1: 490, x2: 650, y2: 510 }, g)).toEqual({ x1: 1200, y1: 700, x2: 1280, y2: 720 });
  });
});

describe('letterboxImage', () => {
  it('letterboxes zidane.jpg with exact grey bands above and below', async () => {
    const r = await letterboxImage(zidane, 640, 640, 114, MAX_PIXELS);
    expect(r.width).toBe(1280);
    expect(r.height).toBe(720);
    expect(r.geometry).toEqual(letterboxGeometry(1280, 720, 640, 640));
    expect(r.data.length).toBe(640 * 640 * 3);
    const rowBytes = 640 * 3;
    const top = r.data.subarray(0, 140 * rowBytes);
    const bottom = r.data.subarray(500 * rowBytes);
    expect(top.length).toBe(140 * rowBytes);
    expect(bottom.length).toBe(140 * rowBytes);
    expect(top.every((v) => v === 114)).toBe(true);
    expect(bottom.every((v) => v === 114)).toBe(true);
    // The first and last image rows carry picture content, not padding.
    expect(r.data.subarray(140 * rowBytes, 141 * rowBytes).every((v) => v === 114)).toBe(false);
    expect(r.data.subarray(499 * rowBytes, 500 * rowBytes).every((v) => v === 114)).toBe(false);
  });

  it('letterboxes bus.jpg with exact grey bands left and right', async () => {
    const r = await letterboxImage(bus, 640, 640, 0, MAX_PIXELS);
    expect([r.width, r.height]).toEqual([810, 1080]);
    expect(r.data.length).toBe(640 * 640 * 3);
    let leftPad = true;
    let rightPad = true;
    let content = 0;
    for (let y = 0; y < 640; y++) {
      for (let x = 0; x < 640; x++) {
        const i = (y * 640 + x) * 3;
        const zero = r.data[i] === 0 && r.data[i + 1] === 0 && r.data[i + 2] === 0;
        if (x < 80) leftPad &&= zero;
        else if (x >= 560) rightPad &&= zero;
        else if (!zero) content++;
      }
    }
    expect(leftPad).toBe(true);
    expect(rightPad).toBe(true);
    expect(content).toBeGreaterThan(480 * 640 * 0.99);
  });

  it('applies EXIF orientation before letterboxing', async () => {
    // 40×20 stored, orientation 6 (rotate 90° CW): a person sees it as 20×40.
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#ff0000' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await letterboxImage(jpeg, 64, 64, 114, MAX_PIXELS);
    expect([r.width, r.height]).toEqual([20, 40]);
    expect(r.geometry).toMatchObject({ scale: 1.6, resizedWidth: 32, resizedHeight: 64, padLeft: 16, padTop: 0 });
    // Centre pixel is red, the left band is padding.
    const centre = (32 * 64 + 32) * 3;
    expect(r.data[centre]).toBeGreaterThan(240);
    expect(r.data[centre + 1]).toBeLessThan(15);
    expect([...r.data.subarray(0, 3)]).toEqual([114, 114, 114]);
  });

  it('rejects a truncated JPEG as invalid_image', async () => {
    const half = bus.subarray(0, Math.floor(bus.length / 2));
    const error = await letterboxImage(half, 640, 640, 114, MAX_PIXELS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgusError);
    expect((error as ArgusError).code).toBe('invalid_image');
    expect((error as ArgusError).status).toBe(422);
  });

  it('rejects an image over the pixel limit as invalid_image', async () => {
    const error = await letterboxImage(bus, 640, 640, 114, 810 * 1080 - 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgusError);
    expect((error as ArgusError).code).toBe('invalid_image');
  });
});

describe('orientedSize', () => {
  const photo = async (orientation: number, format: 'jpeg' | 'png' | 'webp' = 'jpeg') =>
    sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 20, b: 30 } } })[format]().withMetadata({ orientation }).toBuffer();

  it('reads a JPEG\'s oriented size from its header as sharp would orient it', async () => {
    for (const orientation of [1, 3, 5, 6, 8]) {
      const bytes = await photo(orientation);
      const { width, height } = await orientedSize(bytes, openImage(bytes, 1e8));
      const decoded = await openImage(bytes, 1e8).raw().toBuffer({ resolveWithObject: true });
      expect({ width, height }).toEqual({ width: decoded.info.width, height: decoded.info.height });
    }
  });

  it('asks sharp for other formats and for a JPEG whose header it cannot read, and takes decoded pixels as they are', async () => {
    for (const format of ['png', 'webp'] as const) {
      const bytes = await photo(6, format);
      const decoded = await openImage(bytes, 1e8).raw().toBuffer({ resolveWithObject: true });
      expect(await orientedSize(bytes, openImage(bytes, 1e8))).toEqual({ width: decoded.info.width, height: decoded.info.height });
    }
    const broken = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 2);
    await expect(orientedSize(broken, openImage(broken, 1e8))).rejects.toThrow();
    const whole = { data: Buffer.alloc(4 * 3 * 3), width: 4, height: 3, whole: true as const };
    expect(await orientedSize(whole, openSource(whole, 1e8))).toEqual({ width: 4, height: 3 });
  });
});
