import { describe, expect, it } from 'vitest';
import { float32ToFloat16 } from './float16.js';
import { halfTables, hwcToChw, hwcToChwHalf, hwcToFloat, hwcToHalf, type PixelTransform } from './tensor.js';

// A 2×2 RGB image, row-major: (0,0) (1,0) / (0,1) (1,1).
const pixels = Uint8Array.from([
  10, 20, 30, /**/ 40, 50, 60,
  70, 80, 90, /**/ 100, 110, 255,
]);
const R = [10, 40, 70, 100];
const G = [20, 50, 80, 110];
const B = [30, 60, 90, 255];

describe('hwcToChw', () => {
  it('writes planes in RGB order with scale 1', () => {
    const out = hwcToChw(pixels, 2, 2, { scale: 1 });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(12);
    expect([...out]).toEqual([...R, ...G, ...B]);
  });

  it('writes planes in BGR order when asked', () => {
    const out = hwcToChw(pixels, 2, 2, { scale: 1, bgr: true });
    expect([...out]).toEqual([...B, ...G, ...R]);
  });

  it('scales values (1/255)', () => {
    const out = hwcToChw(pixels, 2, 2, { scale: 1 / 255 });
    const expected = [...R, ...G, ...B].map((v) => Math.fround(v / 255));
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(out[11]).toBe(1);
    expect(out[0]).toBeCloseTo(10 / 255, 7);
  });

  it('applies scale, then mean, then std per output channel', () => {
    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    const out = hwcToChw(pixels, 2, 2, { scale: 1 / 255, mean, std });
    const planes = [R, G, B];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 4; i++) {
        expect(out[c * 4 + i]).toBeCloseTo((planes[c][i] / 255 - mean[c]) / std[c], 5);
      }
    }
    // One value by hand: (255/255 - 0.406) / 0.225 = 2.64
    expect(out[11]).toBeCloseTo(2.64, 5);
  });

  it('takes mean and std in the model channel order when feeding BGR', () => {
    const out = hwcToChw(pixels, 2, 2, { scale: 1, mean: [100, 0, 0], std: [2, 1, 5], bgr: true });
    // Plane 0 is blue: (30 - 100) / 2 = -35; plane 2 is red: 10 / 5 = 2.
    expect([...out]).toEqual([
      ...B.map((v) => (v - 100) / 2),
      ...G,
      ...R.map((v) => v / 5),
    ]);
    expect(out[0]).toBe(-35);
    expect(out[8]).toBe(2);
  });

  it('writes at an offset into a shared tensor, leaving the rest untouched', () => {
    const out = new Float32Array(2 + 12 + 3).fill(-7);
    const returned = hwcToChw(pixels, 2, 2, { scale: 1 }, out, 2);
    expect(returned).toBe(out);
    expect([...out]).toEqual([-7, -7, ...R, ...G, ...B, -7, -7, -7]);
  });

  it('fills the second image of a batch of two', () => {
    const batch = new Float32Array(24);
    hwcToChw(pixels, 2, 2, { scale: 1 }, batch, 0);
    hwcToChw(pixels, 2, 2, { scale: 1, bgr: true }, batch, 12);
    expect([...batch]).toEqual([...R, ...G, ...B, ...B, ...G, ...R]);
  });

  it('handles a non-square image', () => {
    // 3×1: three pixels in one row.
    const px = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...hwcToChw(px, 3, 1, { scale: 1 })]).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
  });

  it('throws a RangeError when the pixels are short', () => {
    expect(() => hwcToChw(pixels.subarray(0, 11), 2, 2, { scale: 1 })).toThrow(RangeError);
    expect(() => hwcToChw(pixels.subarray(0, 11), 2, 2, { scale: 1 })).toThrow('expected 12 bytes, got 11');
  });

  it('throws a RangeError when the output is too small for the offset', () => {
    expect(() => hwcToChw(pixels, 2, 2, { scale: 1 }, new Float32Array(12), 1)).toThrow(RangeError);
    expect(() => hwcToChw(pixels, 2, 2, { scale: 1 }, new Float32Array(11))).toThrow('output tensor too small');
  });
});

describe('hwcToFloat', () => {
  it('keeps the interleaved order and the 0–255 range with scale 1', () => {
    const out = hwcToFloat(pixels, 2, 2, { scale: 1 });
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual([...pixels]);
  });

  it('swaps to BGR per pixel and applies scale, mean and std in the model channel order', () => {
    const out = hwcToFloat(pixels, 2, 2, { scale: 1, mean: [100, 0, 0], std: [2, 1, 5], bgr: true });
    // First pixel (10, 20, 30) as BGR: (30 - 100) / 2, 20, 10 / 5.
    expect([...out.subarray(0, 3)]).toEqual([-35, 20, 2]);
    // Last pixel (100, 110, 255): (255 - 100) / 2, 110, 100 / 5.
    expect([...out.subarray(9, 12)]).toEqual([77.5, 110, 20]);
  });

  it('writes at an offset and refuses short pixels or a small output', () => {
    const out = new Float32Array(14).fill(-1);
    hwcToFloat(pixels, 2, 2, { scale: 1 / 255 }, out, 2);
    expect(out[0]).toBe(-1);
    expect(out[13]).toBe(1);
    expect(() => hwcToFloat(pixels.subarray(0, 11), 2, 2, { scale: 1 })).toThrow('expected 12 bytes, got 11');
    expect(() => hwcToFloat(pixels, 2, 2, { scale: 1 }, new Float32Array(12), 1)).toThrow(RangeError);
  });
});

describe('float16 inputs by table (hwcToChwHalf, hwcToHalf)', () => {
  // Every 0–255 value in every channel, then noise: the tables must cover each value exactly.
  const width = 64;
  const height = 20;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = i < 768 ? i % 256 : (i * 2654435761) >>> 24;
  const transforms: PixelTransform[] = [
    { scale: 1 / 255 },
    { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { scale: 1, mean: [103.94, 116.78, 123.68], std: [57.375, 57.12, 58.395], bgr: true },
    { scale: 1 / 127.5, mean: [1, 1, 1] },
  ];

  it.each(transforms)('gives the same bits as the float32 path converted to float16 (%o)', (transform) => {
    const tables = halfTables(transform);
    const planar = hwcToChwHalf(pixels, width, height, transform, tables, new Uint16Array(pixels.length));
    expect(planar).toEqual(float32ToFloat16(hwcToChw(pixels, width, height, transform)));
    const interleaved = hwcToHalf(pixels, width, height, transform, tables, new Uint16Array(pixels.length));
    expect(interleaved).toEqual(float32ToFloat16(hwcToFloat(pixels, width, height, transform)));
  });

  it('writes at an offset and refuses buffers that are too small', () => {
    const transform = { scale: 1 / 255 };
    const tables = halfTables(transform);
    const out = new Uint16Array(pixels.length * 2);
    hwcToChwHalf(pixels, width, height, transform, tables, out, pixels.length);
    expect(out.subarray(pixels.length)).toEqual(float32ToFloat16(hwcToChw(pixels, width, height, transform)));
    expect(out.subarray(0, pixels.length).every((v) => v === 0)).toBe(true);
    expect(() => hwcToChwHalf(pixels, width, height, transform, tables, new Uint16Array(10))).toThrow(RangeError);
    expect(() => hwcToHalf(pixels.subarray(0, 9), width, height, transform, tables, out)).toThrow(RangeError);
  });
});
