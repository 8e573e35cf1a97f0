import { describe, expect, it } from 'vitest';
import { round1, round2, round3, round4, round6 } from './numbers.js';

describe('rounding', () => {
  it('rounds to the given places, ties toward +∞, as Math.round(v · 10^n) / 10^n', () => {
    expect(round1(0.25)).toBe(0.3);
    expect(round2(1.005)).toBe(Math.round(1.005 * 100) / 100);
    expect(round2(-2.125)).toBe(-2.12); // a tie goes toward +∞
    expect(round3(0.0015)).toBe(0.002);
    expect(round4(0.123456)).toBe(0.1235);
    expect(round6(0.1234567)).toBe(0.123457);
  });
});
