import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { binaryMask } from './mask.js';

/** A `size × size` map that is 1 inside [x1, x2) × [y1, y2) and 0 elsewhere. */
function square(size: number, x1: number, y1: number, x2: number, y2: number): Float32Array {
  const map = new Float32Array(size * size);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) map[y * size + x] = 1;
  return map;
}

describe('binaryMask', () => {
  it('scales the map to the image size, thresholds it, and boxes the set pixels', async () => {
    // Columns 2–3 and rows 4–5 of an 8 × 8 map, scaled ×10 wide and ×5 tall.
    const mask = await binaryMask(square(8, 2, 4, 4, 6), 8, 8, 80, 40, 0.5);
    const { data, info } = await sharp(mask.png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(mask.png).metadata()).channels).toBe(1);
    expect([info.width, info.height]).toEqual([80, 40]);
    expect(new Set(data)).toEqual(new Set([0, 255]));
    // Bilinear edges sit about half a map cell either side of the exact 20–40 × 20–30 rectangle.
    expect(mask.box!.x1).toBeGreaterThanOrEqual(15);
    expect(mask.box!.x1).toBeLessThanOrEqual(25);
    expect(mask.box!.x2).toBeGreaterThanOrEqual(35);
    expect(mask.box!.x2).toBeLessThanOrEqual(45);
    expect(mask.box!.y1).toBeGreaterThanOrEqual(17);
    expect(mask.box!.y2).toBeLessThanOrEqual(33);
    const set = data.reduce((n, v) => n + (v ? 1 : 0), 0);
    expect(mask.coverage).toBe(set / (80 * 40));
    expect(mask.coverage).toBeCloseTo((20 * 10) / (80 * 40), 1);
    expect(data[25 * 80 + 30]).toBe(255);
    expect(data[5 * 80 + 5]).toBe(0);
  });

  it('is empty, with no box, when nothing reaches the threshold', async () => {
    const mask = await binaryMask(new Float32Array(64).fill(0.3), 8, 8, 30, 20, 0.5);
    expect(mask).toMatchObject({ box: null, coverage: 0 });
    const full = await binaryMask(new Float32Array(64).fill(0.3), 8, 8, 30, 20, 0.2);
    expect(full).toMatchObject({ box: { x1: 0, y1: 0, x2: 30, y2: 20 }, coverage: 1 });
  });

  it('refuses a map whose size does not match its values', async () => {
    await expect(binaryMask(new Float32Array(10), 8, 8, 30, 20, 0.5)).rejects.toThrow(/8×8 map needs 64 values, got 10/);
  });
});
