/**
 * COCO-style mean average precision over boxes in pixels: per class and IoU threshold, detections
 * are matched to ground truth image by image (highest score first, each to the unmatched truth box
 * it overlaps most, at IoU ≥ the threshold), precision is made monotone, and AP is the mean of the
 * precision at 101 recall points (0, 0.01, …, 1), as pycocotools computes it. Classes with no
 * ground truth are left out of the mean, as pycocotools leaves them out. There are no crowd
 * regions or area ranges: YOLO-format labels carry neither.
 */

export interface EvalBox {
  classId: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface EvalDetection extends EvalBox {
  score: number;
}

export interface EvalImage {
  truth: readonly EvalBox[];
  detections: readonly EvalDetection[];
}

/** 0.50, 0.55, …, 0.95. */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);

export interface MapResult {
  /** AP at IoU 0.50, averaged over classes with ground truth. */
  map50: number;
  /** AP averaged over IoU 0.50:0.05:0.95 and over classes with ground truth. */
  map50_95: number;
  /** Per class with ground truth: its truth count and AP at each threshold of `thresholds`. */
  classes: Record<number, { truth: number; ap: number[] }>;
  thresholds: readonly number[];
}

export function iou(a: EvalBox, b: EvalBox): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** AP from score-ordered true/false positives against `truth` boxes, by 101-point interpolation. */
export function averagePrecision(tp: readonly boolean[], truth: number): number {
  if (truth === 0) return Number.NaN;
  const precision: number[] = [];
  const recall: number[] = [];
  let hits = 0;
  tp.forEach((t, i) => {
    if (t) hits++;
    precision.push(hits / (i + 1));
    recall.push(hits / truth);
  });
  // Precision envelope: the best precision at this recall or any higher one.
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
  let sum = 0;
  let k = 0;
  for (let r = 0; r <= 100; r++) {
    const level = r / 100;
    while (k < recall.length && recall[k] < level) k++;
    if (k < recall.length) sum += precision[k];
  }
  return sum / 101;
}

/** Per image, which detections (by index) match a truth box at `threshold`. */
function matchImage(image: EvalImage, classId: number, threshold: number): Array<{ score: number; tp: boolean }> {
  const truth = image.truth.filter((t) => t.classId === classId);
  const detections = image.detections.filter((d) => d.classId === classId);
  const order = detections.map((_, i) => i).sort((a, b) => detections[b].score - detections[a].score || a - b);
  const taken = new Uint8Array(truth.length);
  return order.map((i) => {
    const d = detections[i];
    let best = -1;
    let bestIou = threshold;
    truth.forEach((t, j) => {
      if (taken[j]) return;
      const overlap = iou(d, t);
      if (overlap >= bestIou) {
        bestIou = overlap;
        best = j;
      }
    });
    if (best >= 0) taken[best] = 1;
    return { score: d.score, tp: best >= 0 };
  });
}

/** mAP50 and mAP50-95 over a data set. */
export function meanAveragePrecision(images: readonly EvalImage[], thresholds: readonly number[] = COCO_IOU_THRESHOLDS): MapResult {
  const truthCount = new Map<number, number>();
  for (const image of images) for (const t of image.truth) truthCount.set(t.classId, (truthCount.get(t.classId) ?? 0) + 1);
  const classes: MapResult['classes'] = {};
  for (const [classId, truth] of [...truthCount].sort((a, b) => a[0] - b[0])) {
    const ap = thresholds.map((threshold) => {
      const matches = images.flatMap((image) => matchImage(image, classId, threshold));
      // Stable sort by score across images, as pycocotools' mergesort.
      const ordered = matches.map((m, i) => ({ ...m, i })).sort((a, b) => b.score - a.score || a.i - b.i);
      return averagePrecision(ordered.map((m) => m.tp), truth);
    });
    classes[classId] = { truth, ap };
  }
  const perClass = Object.values(classes);
  const at50 = thresholds.indexOf(0.5);
  const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN);
  return {
    map50: at50 >= 0 ? mean(perClass.map((c) => c.ap[at50])) : Number.NaN,
    map50_95: mean(perClass.map((c) => mean(c.ap))),
    classes,
    thresholds,
  };
}

/** One line of a YOLO label file (class cx cy w h, normalised) as a box in pixels. */
export function yoloLabelToBox(line: string, width: number, height: number): EvalBox | undefined {
  const parts = line.trim().split(/\s+/).map(Number);
  if (parts.length < 5 || parts.some((v) => !Number.isFinite(v))) return undefined;
  const [classId, cx, cy, w, h] = parts;
  return { classId, x1: (cx - w / 2) * width, y1: (cy - h / 2) * height, x2: (cx + w / 2) * width, y2: (cy + h / 2) * height };
}
