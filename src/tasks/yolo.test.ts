import { describe, expect, it } from 'vitest';
import type { TensorData } from '../runtimes/types.js';
import { decodeYolo, type YoloDecodeOptions } from './yolo.js';

interface Anchor {
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** One score per class. */
  scores: number[];
}

/** A YOLOv8 head `[1, 4 + C, N]`, row-major: row r, anchor a at `r * N + a`. */
function head(anchors: Anchor[], classes: number): TensorData {
  const n = anchors.length;
  const data = new Float32Array((4 + classes) * n);
  anchors.forEach((anchor, a) => {
    data[a] = anchor.cx;
    data[n + a] = anchor.cy;
    data[2 * n + a] = anchor.w;
    data[3 * n + a] = anchor.h;
    anchor.scores.forEach((s, c) => (data[(4 + c) * n + a] = s));
  });
  return { type: 'float32', data, dims: [1, 4 + classes, n] };
}

const defaults: YoloDecodeOptions = { conf: 0.25, iou: 0.45, maxDet: 300 };
const f = Math.fround;

describe('decodeYolo', () => {
  it('turns centre/size into corners and picks the best class', () => {
    const out = decodeYolo(head([{ cx: 100, cy: 50, w: 40, h: 20, scores: [0.1, 0.7, 0.3] }], 3), defaults);
    expect(out).toEqual([{ classId: 1, confidence: f(0.7), x1: 80, y1: 40, x2: 120, y2: 60 }]);
  });

  it('reads every anchor from its own column', () => {
    const anchors: Anchor[] = [
      { cx: 10, cy: 20, w: 4, h: 6, scores: [0.9, 0, 0, 0] },
      { cx: 300, cy: 400, w: 50, h: 30, scores: [0, 0, 0.8, 0] },
      { cx: 600.5, cy: 10.25, w: 11, h: 2.5, scores: [0, 0, 0, 0.6] },
    ];
    const out = decodeYolo(head(anchors, 4), defaults);
    expect(out).toEqual([
      { classId: 0, confidence: f(0.9), x1: 8, y1: 17, x2: 12, y2: 23 },
      { classId: 2, confidence: f(0.8), x1: 275, y1: 385, x2: 325, y2: 415 },
      { classId: 3, confidence: f(0.6), x1: 595, y1: 9, x2: 606, y2: 11.5 },
    ]);
  });

  it('keeps only scores strictly greater than conf', () => {
    const anchors: Anchor[] = [
      { cx: 10, cy: 10, w: 10, h: 10, scores: [0.5] },
      { cx: 100, cy: 10, w: 10, h: 10, scores: [0.25] },
      { cx: 200, cy: 10, w: 10, h: 10, scores: [0.75] },
    ];
    const tensor = head(anchors, 1);
    expect(decodeYolo(tensor, { ...defaults, conf: 0.5 }).map((d) => d.confidence)).toEqual([0.75]);
    expect(decodeYolo(tensor, { ...defaults, conf: 0.25 }).map((d) => d.confidence)).toEqual([0.75, 0.5]);
    expect(decodeYolo(tensor, { ...defaults, conf: 0.2 }).map((d) => d.confidence)).toEqual([0.75, 0.5, 0.25]);
    expect(decodeYolo(tensor, { ...defaults, conf: 0.75 })).toEqual([]);
  });

  it('restricts the argmax to classIds when given', () => {
    const anchors: Anchor[] = [
      { cx: 50, cy: 50, w: 20, h: 20, scores: [0.9, 0.1, 0.6] },
      { cx: 500, cy: 50, w: 20, h: 20, scores: [0.8, 0.3, 0.1] },
    ];
    const tensor = head(anchors, 3);
    const only2 = decodeYolo(tensor, { ...defaults, classIds: new Set([2]) });
    expect(only2).toEqual([{ classId: 2, confidence: f(0.6), x1: 40, y1: 40, x2: 60, y2: 60 }]);
    const only1 = decodeYolo(tensor, { ...defaults, classIds: new Set([1]) });
    expect(only1.map((d) => [d.classId, d.confidence])).toEqual([[1, f(0.3)]]);
    const none = decodeYolo(tensor, { ...defaults, classIds: new Set([5]) });
    expect(none).toEqual([]);
    const all = decodeYolo(tensor, defaults);
    expect(all.map((d) => d.classId)).toEqual([0, 0]);
  });

  it('merges duplicate boxes of one class with NMS, keeping the higher score', () => {
    const anchors: Anchor[] = [
      { cx: 100, cy: 100, w: 50, h: 50, scores: [0.6, 0] },
      { cx: 102, cy: 101, w: 50, h: 50, scores: [0.875, 0] },
      { cx: 101, cy: 100, w: 52, h: 48, scores: [0.7, 0] },
    ];
    const out = decodeYolo(head(anchors, 2), defaults);
    expect(out).toEqual([{ classId: 0, confidence: 0.875, x1: 77, y1: 76, x2: 127, y2: 126 }]);
  });

  it('keeps overlapping boxes of different classes', () => {
    const anchors: Anchor[] = [
      { cx: 100, cy: 100, w: 50, h: 50, scores: [0.5, 0] },
      { cx: 101, cy: 100, w: 50, h: 50, scores: [0, 0.75] },
    ];
    const out = decodeYolo(head(anchors, 2), defaults);
    expect(out.map((d) => [d.classId, d.confidence])).toEqual([[1, 0.75], [0, 0.5]]);
  });

  it('caps detections at maxDet in descending confidence', () => {
    const anchors: Anchor[] = [0.3, 0.9, 0.5, 0.7].map((s, i) => ({ cx: 50 + 100 * i, cy: 50, w: 20, h: 20, scores: [s] }));
    const out = decodeYolo(head(anchors, 1), { ...defaults, maxDet: 2 });
    expect(out.map((d) => [d.confidence, d.x1])).toEqual([[f(0.9), 140], [f(0.7), 340]]);
  });

  it('limits the boxes entering NMS to the maxCandidates best', () => {
    const anchors: Anchor[] = [0.3, 0.9, 0.5, 0.7, 0.4].map((s, i) => ({ cx: 50 + 100 * i, cy: 50, w: 20, h: 20, scores: [s] }));
    const out = decodeYolo(head(anchors, 1), { ...defaults, maxCandidates: 3 });
    expect(out.map((d) => d.confidence)).toEqual([f(0.9), f(0.7), f(0.5)]);
  });

  it('returns nothing when every score is zero', () => {
    const anchors: Anchor[] = [{ cx: 1, cy: 1, w: 1, h: 1, scores: [0, 0] }];
    expect(decodeYolo(head(anchors, 2), { ...defaults, conf: 0 })).toEqual([]);
  });

  it.each([
    [[1, 4, 10]],
    [[2, 84, 10]],
    [[84, 10]],
    [[1, 84, 10, 1]],
  ])('throws on an output shaped %j', (dims) => {
    const tensor: TensorData = { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
    expect(() => decodeYolo(tensor, defaults)).toThrow(/expected a YOLO output \[1, 4 \+ classes, anchors\]/);
  });
});
