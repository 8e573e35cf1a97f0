import { describe, expect, it } from 'vitest';
import { l2Normalize, softmax, stripIndexPrefixes, topK, vectorToJson } from './scores.js';

describe('softmax', () => {
  it('sums to one, keeps the order and survives large logits', () => {
    const p = softmax([1, 2, 3]);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 6);
    expect(p[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 6);
    const big = softmax([1000, 1001]);
    expect(big[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(Number.isNaN(big[0])).toBe(false);
  });
});

describe('topK', () => {
  it('is the first k of all ids sorted by score, best first, ties by lower id (1000 classes, many ties)', () => {
    const scores = Float32Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 97) / 97);
    const sorted = Array.from({ length: 1000 }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    for (const k of [1, 5, 17, 1000, 1200]) {
      expect(topK(scores, k, String).map((p) => p.class_id)).toEqual(sorted.slice(0, k));
    }
    expect(topK(scores, 0, String)).toEqual([]);
    expect(topK([Number.NaN, 0.2, 0.9], 2, String).map((p) => p.class_id)).toEqual([2, 1]);
  });

  it('returns the k best, best first, ties by class id, with labels', () => {
    const result = topK([0.1, 0.5, 0.2, 0.5], 3, (id) => `c${id}`);
    expect(result).toEqual([
      { label: 'c1', class_id: 1, confidence: 0.5 },
      { label: 'c3', class_id: 3, confidence: 0.5 },
      { label: 'c2', class_id: 2, confidence: 0.2 },
    ]);
    expect(topK([0.3, 0.7], 10, String)).toHaveLength(2);
  });
});

describe('l2Normalize', () => {
  it('scales to unit length and leaves a zero vector alone', () => {
    expect([...l2Normalize([3, 4])]).toEqual([0.6000000238418579, 0.800000011920929]);
    expect([...l2Normalize([0, 0])]).toEqual([0, 0]);
  });
});

describe('stripIndexPrefixes', () => {
  it('drops an index prefix only when every line carries its own index', () => {
    expect(stripIndexPrefixes(['0,tench, Tinca tinca', '1,goldfish'])).toEqual(['tench, Tinca tinca', 'goldfish']);
    expect(stripIndexPrefixes(['0 cat', '1 dog'])).toEqual(['cat', 'dog']);
    // Line 1 does not start with 1: these are names that happen to start with digits.
    expect(stripIndexPrefixes(['0,a', '7,b'])).toEqual(['0,a', '7,b']);
    expect(stripIndexPrefixes(['person', 'bicycle'])).toEqual(['person', 'bicycle']);
  });
});

describe('vectorToJson', () => {
  it('keeps float32 precision in fewer digits', () => {
    const v = Float32Array.from([0.123456789, -1e-5]);
    const json = vectorToJson(v);
    expect(json[0]).toBe(0.12345679);
    expect(Math.abs(json[1] - v[1])).toBeLessThan(1e-12);
  });
});
