import { describe, expect, it } from 'vitest';
import { iouAt, nms, type Candidates } from './nms.js';

type Box = [number, number, number, number];

function candidates(list: Array<{ box: Box; score: number; cls?: number }>): Candidates {
  return {
    boxes: Float32Array.from(list.flatMap((c) => c.box)),
    scores: Float32Array.from(list.map((c) => c.score)),
    classes: Int32Array.from(list.map((c) => c.cls ?? 0)),
    count: list.length,
  };
}

describe('iouAt', () => {
  it('computes IoU of hand-worked boxes', () => {
    const boxes = Float32Array.from([
      0, 0, 10, 10, // 0: area 100
      5, 5, 15, 15, // 1: overlaps 0 by 5×5 = 25 → 25 / 175
      0, 0, 10, 5, // 2: inside 0, area 50 → 0.5
      10, 0, 20, 10, // 3: touches 0 along an edge → 0
      20, 20, 30, 30, // 4: disjoint → 0
      0, 0, 10, 10, // 5: identical to 0 → 1
      2, 2, 4, 4, // 6: area 4, inside 0 → 0.04
    ]);
    expect(iouAt(boxes, 0, 1)).toBe(25 / 175);
    expect(iouAt(boxes, 1, 0)).toBe(25 / 175);
    expect(iouAt(boxes, 0, 2)).toBe(0.5);
    expect(iouAt(boxes, 0, 3)).toBe(0);
    expect(iouAt(boxes, 0, 4)).toBe(0);
    expect(iouAt(boxes, 0, 5)).toBe(1);
    expect(iouAt(boxes, 0, 6)).toBe(0.04);
    expect(iouAt(boxes, 1, 2)).toBe(0);
  });

  it('handles fractional coordinates', () => {
    // [0,0,2,2] vs [1,0.5,3,2.5]: intersection 1 × 1.5 = 1.5, union 4 + 4 - 1.5 = 6.5.
    const boxes = Float32Array.from([0, 0, 2, 2, 1, 0.5, 3, 2.5]);
    expect(iouAt(boxes, 0, 1)).toBeCloseTo(1.5 / 6.5, 12);
  });
});

describe('nms', () => {
  const overlapping = [
    { box: [10, 10, 110, 110] as Box, score: 0.6 },
    { box: [12, 12, 112, 112] as Box, score: 0.9 },
  ];

  it('keeps only the higher-scoring of two heavily overlapping boxes of one class', () => {
    expect(nms(candidates(overlapping), { iou: 0.45, maxDet: 300 })).toEqual([1]);
  });

  it('keeps overlapping boxes of different classes when class-aware', () => {
    const c = candidates([{ ...overlapping[0], cls: 3 }, { ...overlapping[1], cls: 7 }]);
    expect(nms(c, { iou: 0.45, maxDet: 300 })).toEqual([1, 0]);
    expect(nms(c, { iou: 0.45, maxDet: 300, classAware: true })).toEqual([1, 0]);
  });

  it('suppresses across classes when classAware is false', () => {
    const c = candidates([{ ...overlapping[0], cls: 3 }, { ...overlapping[1], cls: 7 }]);
    expect(nms(c, { iou: 0.45, maxDet: 300, classAware: false })).toEqual([1]);
  });

  it('caps the result at maxDet, keeping the best scores', () => {
    const c = candidates([0.2, 0.9, 0.5, 0.7, 0.1].map((score, i) => ({ box: [i * 100, 0, i * 100 + 50, 50] as Box, score })));
    expect(nms(c, { iou: 0.45, maxDet: 3 })).toEqual([1, 3, 2]);
    expect(nms(c, { iou: 0.45, maxDet: 1 })).toEqual([1]);
    expect(nms(c, { iou: 0.45, maxDet: 300 })).toEqual([1, 3, 2, 0, 4]);
  });

  it('keeps a box whose IoU equals the threshold and drops one just above', () => {
    // IoU of [0,0,10,10] and [0,0,10,5] is exactly 0.5.
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.9 },
      { box: [0, 0, 10, 5], score: 0.8 },
    ]);
    expect(iouAt(c.boxes, 0, 1)).toBe(0.5);
    expect(nms(c, { iou: 0.5, maxDet: 300 })).toEqual([0, 1]);
    expect(nms(c, { iou: 0.49, maxDet: 300 })).toEqual([0]);
  });

  it('returns indices in descending score order', () => {
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.3 },
      { box: [100, 0, 110, 10], score: 0.95 },
      { box: [200, 0, 210, 10], score: 0.5, cls: 2 },
      { box: [300, 0, 310, 10], score: 0.7 },
    ]);
    const kept = nms(c, { iou: 0.45, maxDet: 300 });
    expect(kept).toEqual([1, 3, 2, 0]);
    const scores = kept.map((i) => c.scores[i]);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('breaks score ties by keeping the earlier candidate', () => {
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.5 },
      { box: [1, 1, 11, 11], score: 0.5 },
      { box: [50, 50, 60, 60], score: 0.5 },
    ]);
    expect(nms(c, { iou: 0.45, maxDet: 300 })).toEqual([0, 2]);
  });

  it('does not let a suppressed box suppress others (greedy chain)', () => {
    // A overlaps B (IoU 0.6), B overlaps C (0.48), A and C only 0.25: with iou 0.45, A and C stay.
    const c = candidates([
      { box: [0, 0, 10, 10], score: 0.9 },
      { box: [2.5, 0, 12.5, 10], score: 0.8 },
      { box: [6, 0, 16, 10], score: 0.7 },
    ]);
    expect(iouAt(c.boxes, 0, 1)).toBeCloseTo(0.6, 12);
    expect(iouAt(c.boxes, 1, 2)).toBeCloseTo(6.5 / 13.5, 12);
    expect(iouAt(c.boxes, 0, 2)).toBeCloseTo(4 / 16, 12);
    expect(nms(c, { iou: 0.45, maxDet: 300 })).toEqual([0, 2]);
  });

  it('returns nothing for no candidates', () => {
    expect(nms(candidates([]), { iou: 0.45, maxDet: 300 })).toEqual([]);
  });
});
