import type { TensorData } from '../runtimes/types.js';
import { nms, type Candidates } from '../vision/nms.js';
import type { RawDetection } from './yolo.js';

export interface CenterNetDecodeOptions {
  conf: number;
  iou: number;
  maxDet: number;
  /** Only these class ids, when given. */
  classIds?: ReadonlySet<number>;
}

/** Values per row of a CenterNet detections tensor: x1, y1, x2, y2, score, class. */
export const CENTERNET_ROW = 6;

/**
 * Decodes the `detections` output of the MobileNetV3 CenterNet in `@vladmandic/human`,
 * `[1, K, 6]`: each row is x1, y1, x2, y2 in model-input pixels, the peak's score, and its class
 * id (0-based COCO-80, as a float). Heat-map peak extraction and top-K already ran inside the
 * graph, so K (100 for that model) bounds the detections per image.
 *
 * Rows below `conf`, outside `classIds`, with a non-integer or negative class, or with an empty box
 * are dropped; the rest go through class-aware NMS as YOLO's do. Human itself runs class-agnostic
 * NMS at IoU 0.4; Argus keeps one NMS rule for every detector so `iou` means the same everywhere.
 */
export function decodeCenterNet(output: TensorData, options: CenterNetDecodeOptions): RawDetection[] {
  const [batch, rows, width] = output.dims;
  if (output.dims.length !== 3 || batch !== 1 || width !== CENTERNET_ROW) {
    throw new Error(`expected a CenterNet output [1, detections, 6], got [${output.dims.join(', ')}]`);
  }
  if (output.type !== 'float32') throw new Error(`expected a float32 CenterNet output, got ${output.type}`);
  const data = output.data as Float32Array;
  const picked: number[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * CENTERNET_ROW;
    const score = data[o + 4];
    const classId = data[o + 5];
    if (!(score > options.conf)) continue;
    if (!Number.isInteger(classId) || classId < 0) continue;
    if (options.classIds && !options.classIds.has(classId)) continue;
    if (!(data[o + 2] > data[o] && data[o + 3] > data[o + 1])) continue;
    picked.push(r);
  }
  const count = picked.length;
  const candidates: Candidates = {
    boxes: new Float32Array(count * 4),
    scores: new Float32Array(count),
    classes: new Int32Array(count),
    count,
  };
  picked.forEach((r, i) => {
    const o = r * CENTERNET_ROW;
    candidates.boxes.set(data.subarray(o, o + 4), i * 4);
    candidates.scores[i] = data[o + 4];
    candidates.classes[i] = data[o + 5];
  });
  return nms(candidates, { iou: options.iou, maxDet: options.maxDet }).map((i) => ({
    classId: candidates.classes[i],
    confidence: candidates.scores[i],
    x1: candidates.boxes[4 * i],
    y1: candidates.boxes[4 * i + 1],
    x2: candidates.boxes[4 * i + 2],
    y2: candidates.boxes[4 * i + 3],
  }));
}
