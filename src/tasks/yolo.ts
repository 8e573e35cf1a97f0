import type { TensorData } from '../runtimes/types.js';
import { nms, type Candidates } from '../vision/nms.js';

export interface YoloDecodeOptions {
  conf: number;
  iou: number;
  maxDet: number;
  /** Only these class ids, when given. */
  classIds?: ReadonlySet<number>;
  /** Upper bound on boxes entering NMS (Ultralytics' max_nms). */
  maxCandidates?: number;
}

export interface RawDetection {
  classId: number;
  confidence: number;
  /** Corners in model-input pixels. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Decodes a YOLOv8/11 head, `[1, 4 + C, N]`: rows 0–3 are cx, cy, w, h in input pixels, rows 4… the
 * class scores (already sigmoid). Walks the tensor row by row so reads stay sequential.
 */
export function decodeYolo(output: TensorData, options: YoloDecodeOptions): RawDetection[] {
  const [batch, rows, anchors] = output.dims;
  if (output.dims.length !== 3 || batch !== 1 || rows < 5) {
    throw new Error(`expected a YOLO output [1, 4 + classes, anchors], got [${output.dims.join(', ')}]`);
  }
  const data = output.data as Float32Array;
  const classes = rows - 4;
  const best = new Float32Array(anchors);
  const bestClass = new Int32Array(anchors).fill(-1);
  for (let c = 0; c < classes; c++) {
    if (options.classIds && !options.classIds.has(c)) continue;
    const row = (4 + c) * anchors;
    for (let a = 0; a < anchors; a++) {
      const s = data[row + a];
      if (s > best[a]) {
        best[a] = s;
        bestClass[a] = c;
      }
    }
  }
  let picked: number[] = [];
  for (let a = 0; a < anchors; a++) if (bestClass[a] >= 0 && best[a] > options.conf) picked.push(a);
  const maxCandidates = options.maxCandidates ?? 30_000;
  if (picked.length > maxCandidates) picked = picked.sort((x, y) => best[y] - best[x]).slice(0, maxCandidates);

  const count = picked.length;
  const candidates: Candidates = {
    boxes: new Float32Array(count * 4),
    scores: new Float32Array(count),
    classes: new Int32Array(count),
    count,
  };
  picked.forEach((a, i) => {
    const cx = data[a];
    const cy = data[anchors + a];
    const w = data[2 * anchors + a];
    const h = data[3 * anchors + a];
    candidates.boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], i * 4);
    candidates.scores[i] = best[a];
    candidates.classes[i] = bestClass[a];
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
