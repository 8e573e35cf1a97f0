import { describe, expect, it } from 'vitest';
import type { TensorData } from '../runtimes/types.js';
import { decodeYunet, YUNET_OUTPUTS, YUNET_STRIDES } from './yunet.js';

/** Empty YuNet outputs for a `size × size` input: every cell scores 0. */
function emptyOutputs(size: number): Record<string, TensorData> {
  const outputs: Record<string, TensorData> = {};
  for (const stride of YUNET_STRIDES) {
    const cells = (size / stride) ** 2;
    for (const [name, width] of [['cls', 1], ['obj', 1], ['bbox', 4], ['kps', 10]] as const) {
      outputs[`${name}_${stride}`] = { type: 'float32', data: new Float32Array(cells * width), dims: [1, cells, width] };
    }
  }
  return outputs;
}

/** Puts a face in cell (row, col) of a stride: scores, box offsets/log-sizes and landmark offsets. */
function putFace(outputs: Record<string, TensorData>, size: number, stride: number, row: number, col: number, cls: number, obj: number, logSize: number) {
  const i = row * (size / stride) + col;
  (outputs[`cls_${stride}`].data as Float32Array)[i] = cls;
  (outputs[`obj_${stride}`].data as Float32Array)[i] = obj;
  (outputs[`bbox_${stride}`].data as Float32Array).set([0.5, 0.5, logSize, logSize], 4 * i);
  (outputs[`kps_${stride}`].data as Float32Array).set([0.25, 0.25, 0.75, 0.25, 0.5, 0.5, 0.25, 0.75, 0.75, 0.75], 10 * i);
}

describe('decodeYunet', () => {
  it('names the twelve outputs of the 2023 model', () => {
    expect(YUNET_OUTPUTS).toHaveLength(12);
    expect(YUNET_OUTPUTS).toContain('kps_32');
  });

  it('decodes score √(cls·obj), centre (cell + offset) · stride, size exp(log) · stride and landmarks', () => {
    const outputs = emptyOutputs(64);
    putFace(outputs, 64, 8, 3, 4, 0.9, 0.9, Math.log(2));
    const [face, ...rest] = decodeYunet(outputs, 64, 64, { conf: 0.5, iou: 0.3, maxFaces: 10 });
    expect(rest).toEqual([]);
    expect(face.score).toBeCloseTo(0.9, 5);
    // Centre (4.5, 3.5) · 8 = (36, 28), size 2 · 8 = 16.
    expect([face.x1, face.y1, face.x2, face.y2].map((v) => Math.round(v * 1000) / 1000)).toEqual([28, 20, 44, 36]);
    expect(face.landmarks).toEqual([[34, 26], [38, 26], [36, 28], [34, 30], [38, 30]]);
  });

  it('drops faces below conf, and the weaker of two overlapping faces across strides', () => {
    const outputs = emptyOutputs(64);
    putFace(outputs, 64, 8, 1, 1, 0.64, 1, Math.log(2)); // score 0.8, centre (12, 12)
    putFace(outputs, 64, 16, 0, 0, 0.49, 1, Math.log(1)); // score 0.7, centre (8, 8), same face
    putFace(outputs, 64, 32, 1, 1, 0.25, 1, 0); // score 0.5, kept only at a low conf
    const strict = decodeYunet(outputs, 64, 64, { conf: 0.6, iou: 0.3, maxFaces: 10 });
    expect(strict.map((f) => Math.round(f.score * 100))).toEqual([80]);
    const loose = decodeYunet(outputs, 64, 64, { conf: 0.4, iou: 0.3, maxFaces: 10 });
    expect(loose.map((f) => Math.round(f.score * 100))).toEqual([80, 50]);
    expect(decodeYunet(outputs, 64, 64, { conf: 0.4, iou: 0.3, maxFaces: 1 })).toHaveLength(1);
  });

  it('refuses outputs that do not fit the input size', () => {
    expect(() => decodeYunet(emptyOutputs(64), 96, 64, { conf: 0.5, iou: 0.3, maxFaces: 10 })).toThrow('expected 12×8');
    const { kps_8: _missing, ...partial } = emptyOutputs(64);
    expect(() => decodeYunet(partial, 64, 64, { conf: 0.5, iou: 0.3, maxFaces: 10 })).toThrow('kps_8 is missing');
  });
});
