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
  const ids = Array.from({ length: scores.length }, (_, i) => i);
  ids.sort((a, b) => scores[b] - scores[a] || a - b);
  return ids.slice(0, k).map((id) => ({ label: labelOf(id), class_id: id, confidence: round6(scores[id]) }));
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
