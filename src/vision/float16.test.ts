import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';

describe('float16 conversion', () => {
  it('encodes known values exactly as IEEE 754 half precision', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [0.1, 0x2e66],
      [255, 0x5bf8],
      [65504, 0x7bff],
      // Halfway between 65504 and 65536: ties go to even, which is 65536 = Infinity in half precision.
      [65520, 0x7c00],
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      // Exactly half the smallest subnormal: ties to even → 0.
      [2 ** -25, 0x0000],
      [1.5 * 2 ** -24, 0x0002],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [value, bits] of cases) expect(toFloat16Bits(value), `${value}`).toBe(bits);
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('rounds to the nearest half, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: even mantissa (1) wins.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it('round-trips every finite half value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      if (Number.isNaN(value)) continue;
      expect(toFloat16Bits(value)).toBe(bits);
    }
  });

  it('converts arrays both ways within half precision', () => {
    const values = Float32Array.from([0, 1, -1, 0.333, 123.456, -0.00042, 65000]);
    const back = float16ToFloat32(float32ToFloat16(values));
    for (let i = 0; i < values.length; i++) expect(back[i]).toBeCloseTo(values[i], Math.abs(values[i]) > 100 ? -2 : 3);
    const out = new Uint16Array(10);
    expect(float32ToFloat16([1, 2], out)).toBe(out);
    expect([...out.subarray(0, 2)]).toEqual([0x3c00, 0x4000]);
    expect(() => float32ToFloat16([1, 2, 3], new Uint16Array(2))).toThrow(RangeError);
  });
});
