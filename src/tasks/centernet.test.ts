import { describe, expect, it } from 'vitest';
import type { TensorData } from '../runtimes/types.js';
import { decodeCenterNet, type CenterNetDecodeOptions } from './centernet.js';

/** One row of the model's `detections` output: corners in input pixels, score, class id. */
type Row = [x1: number, y1: number, x2: number, y2: number, score: number, classId: number];

/** A CenterNet `detections` tensor `[1, K, 6]`, padded to `k` rows with zero-score rows as the graph's top-K pads them. */
function detections(rows: Row[], k = Math.max(rows.length, 1)): TensorData {
  const data = new Float32Array(k * 6);
  rows.forEach((row, r) => data.set(row, r * 6));
  return { type: 'float32', data, dims: [1, k, 6] };
}

const defaults: CenterNetDecodeOptions = { conf: 0.25, iou: 0.45, maxDet: 300 };
const f = Math.fround;

describe('decodeCenterNet', () => {
  it('reads corners, score and class from each row, best score first', () => {
    const out = decodeCenterNet(detections([
      [10, 20, 110, 220, 0.5, 3],
      [300.5, 40.25, 400, 90, 0.9, 0],
    ], 100), defaults);
    expect(out).toEqual([
      { classId: 0, confidence: f(0.9), x1: 300.5, y1: 40.25, x2: 400, y2: 90 },
      { classId: 3, confidence: f(0.5), x1: 10, y1: 20, x2: 110, y2: 220 },
    ]);
  });

  it('keeps only scores strictly greater than conf, and ignores the zero padding rows', () => {
    const tensor = detections([
      [0, 0, 10, 10, 0.5, 1],
      [100, 0, 110, 10, 0.25, 1],
      [200, 0, 210, 10, 0.75, 1],
    ], 100);
    expect(decodeCenterNet(tensor, { ...defaults, conf: 0.5 }).map((d) => d.confidence)).toEqual([0.75]);
    expect(decodeCenterNet(tensor, { ...defaults, conf: 0.25 }).map((d) => d.confidence)).toEqual([0.75, 0.5]);
    expect(decodeCenterNet(tensor, { ...defaults, conf: 0.001 })).toHaveLength(3);
    expect(decodeCenterNet(tensor, { ...defaults, conf: 0 })).toHaveLength(3);
  });

  it('filters by class id', () => {
    const tensor = detections([
      [0, 0, 10, 10, 0.9, 0],
      [100, 0, 110, 10, 0.8, 2],
      [200, 0, 210, 10, 0.7, 5],
    ]);
    const out = decodeCenterNet(tensor, { ...defaults, classIds: new Set([2, 5]) });
    expect(out.map((d) => d.classId)).toEqual([2, 5]);
  });

  it('suppresses overlaps within a class only, with the iou threshold given', () => {
    const tensor = detections([
      [0, 0, 100, 100, 0.9, 0],
      [5, 5, 105, 105, 0.8, 0], // IoU ≈ 0.82 with the first, same class: dropped at iou 0.45
      [5, 5, 105, 105, 0.7, 1], // same box, another class: kept
      [50, 0, 150, 100, 0.6, 0], // IoU 1/3 with the first: kept at 0.45, dropped at 0.3
    ]);
    expect(decodeCenterNet(tensor, defaults).map((d) => [d.classId, d.confidence])).toEqual([[0, f(0.9)], [1, f(0.7)], [0, f(0.6)]]);
    expect(decodeCenterNet(tensor, { ...defaults, iou: 0.3 }).map((d) => [d.classId, d.confidence])).toEqual([[0, f(0.9)], [1, f(0.7)]]);
    expect(decodeCenterNet(tensor, { ...defaults, iou: 0.9 })).toHaveLength(4);
  });

  it('returns at most maxDet detections, the highest scores', () => {
    const rows: Row[] = Array.from({ length: 20 }, (_, i) => [i * 20, 0, i * 20 + 10, 10, 0.3 + i * 0.01, 0]);
    const out = decodeCenterNet(detections(rows), { ...defaults, maxDet: 3 });
    expect(out.map((d) => d.confidence)).toEqual([f(0.49), f(0.48), f(0.47)]);
  });

  it('drops rows with an empty or inverted box, or a class that is not a non-negative integer', () => {
    const tensor = detections([
      [10, 10, 10, 50, 0.9, 0], // zero width
      [10, 50, 40, 20, 0.9, 0], // inverted height
      [0, 0, 10, 10, 0.9, Number.NaN],
      [0, 0, 10, 10, 0.9, -1],
      [0, 0, 10, 10, 0.9, 1.5],
      [0, 0, 10, 10, 0.8, 7],
    ]);
    expect(decodeCenterNet(tensor, defaults)).toEqual([{ classId: 7, confidence: f(0.8), x1: 0, y1: 0, x2: 10, y2: 10 }]);
  });

  it('keeps boxes that reach past the input edge (the caller clips in source pixels)', () => {
    const out = decodeCenterNet(detections([[-3.5, -1, 515, 520, 0.6, 0]]), defaults);
    expect(out[0]).toMatchObject({ x1: -3.5, y1: -1, x2: 515, y2: 520 });
  });

  it('returns nothing for an all-zero output', () => {
    expect(decodeCenterNet(detections([], 100), defaults)).toEqual([]);
  });

  it('refuses tensors of another shape or type', () => {
    expect(() => decodeCenterNet({ type: 'float32', data: new Float32Array(84 * 10), dims: [1, 84, 10] }, defaults)).toThrow('expected a CenterNet output [1, detections, 6], got [1, 84, 10]');
    expect(() => decodeCenterNet({ type: 'float32', data: new Float32Array(12), dims: [2, 1, 6] }, defaults)).toThrow('got [2, 1, 6]');
    expect(() => decodeCenterNet({ type: 'int32', data: new Int32Array(6), dims: [1, 1, 6] }, defaults)).toThrow('float32');
  });
});
