import type { TensorData } from '../runtimes/types.js';
import { nms, type Candidates } from '../vision/nms.js';

/** A face in YuNet input pixels: corners, score and five landmarks. */
export interface RawFace {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** Right eye, left eye, nose tip, right and left mouth corner (the person's own right and left). */
  landmarks: Array<[number, number]>;
}

export interface YunetDecodeOptions {
  conf: number;
  iou: number;
  maxFaces: number;
}

/** YuNet's feature-map strides; each has cls_, obj_, bbox_ and kps_ outputs. */
export const YUNET_STRIDES = [8, 16, 32] as const;

/** Every output name YuNet (2023, libfacedetection) has, in the order its decoder reads them. */
export const YUNET_OUTPUTS = YUNET_STRIDES.flatMap((s) => [`cls_${s}`, `obj_${s}`, `bbox_${s}`, `kps_${s}`]);

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Decodes YuNet's outputs for an input of `width × height` (multiples of 32) as OpenCV's
 * FaceDetectorYN does: per stride and grid cell, score = √(cls · obj) (both already sigmoid),
 * centre = (cell + offset) · stride, size = exp(log-size) · stride, landmarks = (cell + offset) · stride;
 * then class-agnostic NMS.
 */
export function decodeYunet(outputs: Record<string, TensorData>, width: number, height: number, options: YunetDecodeOptions): RawFace[] {
  const picked: Array<{ box: [number, number, number, number]; score: number; landmarks: Array<[number, number]> }> = [];
  for (const stride of YUNET_STRIDES) {
    const cols = Math.floor(width / stride);
    const rows = Math.floor(height / stride);
    const get = (name: string) => {
      const t = outputs[`${name}_${stride}`];
      if (!t) throw new Error(`YuNet output ${name}_${stride} is missing`);
      return t.data as Float32Array;
    };
    const [cls, obj, bbox, kps] = [get('cls'), get('obj'), get('bbox'), get('kps')];
    if (cls.length !== cols * rows) throw new Error(`YuNet cls_${stride} has ${cls.length} cells, expected ${cols}×${rows} for a ${width}×${height} input`);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const score = Math.sqrt(clamp01(cls[i]) * clamp01(obj[i]));
        if (!(score >= options.conf)) continue;
        const cx = (c + bbox[4 * i]) * stride;
        const cy = (r + bbox[4 * i + 1]) * stride;
        const w = Math.exp(bbox[4 * i + 2]) * stride;
        const h = Math.exp(bbox[4 * i + 3]) * stride;
        const landmarks: Array<[number, number]> = [];
        for (let k = 0; k < 5; k++) landmarks.push([(c + kps[10 * i + 2 * k]) * stride, (r + kps[10 * i + 2 * k + 1]) * stride]);
        picked.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, landmarks });
      }
    }
  }
  const candidates: Candidates = { boxes: new Float32Array(picked.length * 4), scores: new Float32Array(picked.length), classes: new Int32Array(picked.length), count: picked.length };
  picked.forEach((p, i) => {
    candidates.boxes.set(p.box, 4 * i);
    candidates.scores[i] = p.score;
  });
  return nms(candidates, { iou: options.iou, maxDet: options.maxFaces, classAware: false }).map((i) => {
    const [x1, y1, x2, y2] = picked[i].box;
    return { x1, y1, x2, y2, score: picked[i].score, landmarks: picked[i].landmarks };
  });
}
