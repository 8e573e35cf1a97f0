import { describe, expect, it } from 'vitest';
import { faceSimilarity } from './compare.js';

describe('faceSimilarity (@vladmandic/human match.ts with its defaults)', () => {
  const base = Array.from({ length: 1024 }, (_, i) => Math.sin(i) * 0.05);

  it('is 1 for identical descriptors', () => {
    expect(faceSimilarity(base, [...base])).toBe(1);
  });

  it('maps the scaled Euclidean distance onto 0–1 as Human does', () => {
    // Each of 1024 values 0.01 apart: distance = 25 · 1024 · 1e-4 = 2.56, root 1.6,
    // (1 − 0.016 − 0.2) / 0.6 = 1.3067 → clamped to 1.
    expect(faceSimilarity(base, base.map((v) => v + 0.01))).toBe(1);
    // 0.2 apart: distance 1024, root 32: (1 − 0.32 − 0.2) / 0.6 = 0.8.
    expect(faceSimilarity(base, base.map((v) => v + 0.2))).toBe(0.8);
    // 0.5 apart: root 80: (1 − 0.8 − 0.2) / 0.6 = 0.
    expect(faceSimilarity(base, base.map((v) => v + 0.5))).toBe(0);
  });

  it('refuses descriptors of different lengths', () => {
    expect(() => faceSimilarity(base, base.slice(1))).toThrow('differ in length');
  });
});
