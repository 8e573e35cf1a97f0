/** Candidate boxes in flat arrays: corners `[x1, y1, x2, y2]` per box, a score and a class each. */
export interface Candidates {
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;
  count: number;
}

export interface NmsOptions {
  /** Boxes overlapping a kept box of the same class by more than this IoU are dropped. */
  iou: number;
  /** Keep at most this many boxes. */
  maxDet: number;
  /** Suppress only within a class (true, YOLO's default) or across classes. */
  classAware?: boolean;
}

/** Intersection over union of boxes i and j in a flat corner array. */
export function iouAt(boxes: Float32Array, i: number, j: number): number {
  const ix1 = Math.max(boxes[4 * i], boxes[4 * j]);
  const iy1 = Math.max(boxes[4 * i + 1], boxes[4 * j + 1]);
  const ix2 = Math.min(boxes[4 * i + 2], boxes[4 * j + 2]);
  const iy2 = Math.min(boxes[4 * i + 3], boxes[4 * j + 3]);
  const inter = Math.max(0, ix2 - ix1) * Math.max(0, iy2 - iy1);
  if (inter <= 0) return 0;
  const areaI = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
  const areaJ = (boxes[4 * j + 2] - boxes[4 * j]) * (boxes[4 * j + 3] - boxes[4 * j + 1]);
  return inter / (areaI + areaJ - inter);
}

/**
 * Greedy non-maximum suppression. Returns the indices kept, best score first.
 * Ties keep the earlier candidate, so results are deterministic.
 */
export function nms(c: Candidates, options: NmsOptions): number[] {
  const classAware = options.classAware ?? true;
  const order = Array.from({ length: c.count }, (_, i) => i).sort((a, b) => c.scores[b] - c.scores[a] || a - b);
  const kept: number[] = [];
  const suppressed = new Uint8Array(c.count);
  for (const i of order) {
    if (suppressed[i]) continue;
    kept.push(i);
    if (kept.length >= options.maxDet) break;
    for (const j of order) {
      if (suppressed[j] || j === i) continue;
      if (classAware && c.classes[j] !== c.classes[i]) continue;
      if (iouAt(c.boxes, i, j) > options.iou) suppressed[j] = 1;
    }
  }
  return kept;
}
