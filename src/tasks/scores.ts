import { round6 } from '../numbers.js';
/** Small numeric steps shared by classification and embedding tasks. */
import type { Prediction } from './params/classify.js';

export type { Prediction };

/** Softmax over `values`, shifted by the maximum so large logits do not overflow. */
export function softmax(values: ArrayLike<number>): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const out = new Float32Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.exp(values[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The `k` highest scores, best first (ties keep the lower class id first), with their labels. */
export function topK(scores: ArrayLike<number>, k: number, labelOf: (id: number) => string): Prediction[] {
  // Insertion into the k best so far, in one pass: sorting every class id (1000 for ImageNet,
  // 21k for some) to keep five cost 0.7 ms a request. Ids come in ascending order and only a
  // strictly higher score moves ahead, so ties keep the lower id first. NaN never enters.
  const best: number[] = [];
  const n = Math.min(Math.max(0, Math.floor(k)), scores.length);
  for (let id = 0; id < scores.length && n > 0; id++) {
    const score = scores[id];
    if (Number.isNaN(score) || (best.length === n && !(score > scores[best[n - 1]]))) continue;
    if (best.length === n) best.pop();
    let at = best.length;
    while (at > 0 && score > scores[best[at - 1]]) at--;
    best.splice(at, 0, id);
  }
  return best.map((id) => ({ label: labelOf(id), class_id: id, confidence: round6(scores[id]) }));
}

/** `vector` scaled to unit length (a zero vector stays zero). */
export function l2Normalize(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.sqrt(sum);
  const out = Float32Array.from(vector);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

/**
 * Label files often carry their index (`0,tench, Tinca tinca`, `1 goldfish`). When every line
 * starts with its own index, the prefix is dropped; otherwise the lines are taken as they are.
 */
export function stripIndexPrefixes(labels: readonly string[]): string[] {
  const prefix = /^(\d+)[,:\s]\s*/;
  const indexed = labels.length > 0 && labels.every((label, i) => prefix.exec(label)?.[1] === String(i));
  return indexed ? labels.map((label) => label.replace(prefix, '')) : [...labels];
}

/** A vector as JSON numbers with float32's precision (8 significant digits), not 17 per value. */
export function vectorToJson(vector: ArrayLike<number>): number[] {
  return Array.from(vector, (v) => Number(v.toPrecision(8)));
}
