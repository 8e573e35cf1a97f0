import { toFloat16Bits } from './float16.js';

/** How interleaved 8-bit pixels become model input values. */
export interface PixelTransform {
  /** Multiply each 0–255 value by this first (1/255 for most models). */
  scale: number;
  /** Per-channel mean subtracted after scaling, in the model's channel order. */
  mean?: readonly [number, number, number];
  /** Per-channel std divided by after the mean, in the model's channel order. */
  std?: readonly [number, number, number];
  /** Feed channels as BGR instead of RGB. */
  bgr?: boolean;
}

/**
 * Interleaved RGB (HWC, uint8) → planar float (CHW) in one pass, written into `out` at `offset`
 * so a worker can reuse one buffer per model and batches can share one tensor.
 */
export function hwcToChw(
  pixels: Uint8Array,
  width: number,
  height: number,
  transform: PixelTransform,
  out: Float32Array = new Float32Array(3 * width * height),
  offset = 0,
): Float32Array {
  const plane = width * height;
  if (pixels.length < plane * 3) throw new RangeError(`expected ${plane * 3} bytes, got ${pixels.length}`);
  if (out.length < offset + plane * 3) throw new RangeError('output tensor too small');
  const mean = transform.mean ?? [0, 0, 0];
  const std = transform.std ?? [1, 1, 1];
  // Fold scale, mean and std into one multiply-add per value: v * a[c] + b[c].
  const a = [0, 1, 2].map((c) => transform.scale / std[c]);
  const b = [0, 1, 2].map((c) => -mean[c] / std[c]);
  // Source channel feeding each output plane.
  const src = transform.bgr ? [2, 1, 0] : [0, 1, 2];
  const [o0, o1, o2] = [offset, offset + plane, offset + 2 * plane];
  const [s0, s1, s2] = src;
  const [a0, a1, a2] = a;
  const [b0, b1, b2] = b;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[o0 + i] = pixels[p + s0] * a0 + b0;
    out[o1 + i] = pixels[p + s1] * a1 + b1;
    out[o2 + i] = pixels[p + s2] * a2 + b2;
  }
  return out;
}

/**
 * Interleaved RGB (HWC, uint8) → interleaved float (HWC, as NHWC models such as tfjs graphs take
 * it), applying the same transform as {@link hwcToChw}.
 */
export function hwcToFloat(
  pixels: Uint8Array,
  width: number,
  height: number,
  transform: PixelTransform,
  out: Float32Array = new Float32Array(3 * width * height),
  offset = 0,
): Float32Array {
  const count = width * height * 3;
  if (pixels.length < count) throw new RangeError(`expected ${count} bytes, got ${pixels.length}`);
  if (out.length < offset + count) throw new RangeError('output tensor too small');
  const mean = transform.mean ?? [0, 0, 0];
  const std = transform.std ?? [1, 1, 1];
  const a = [0, 1, 2].map((c) => transform.scale / std[c]);
  const b = [0, 1, 2].map((c) => -mean[c] / std[c]);
  const [s0, s1, s2] = transform.bgr ? [2, 1, 0] : [0, 1, 2];
  const [a0, a1, a2] = a;
  const [b0, b1, b2] = b;
  for (let p = 0; p < count; p += 3) {
    out[offset + p] = pixels[p + s0] * a0 + b0;
    out[offset + p + 1] = pixels[p + s1] * a1 + b1;
    out[offset + p + 2] = pixels[p + s2] * a2 + b2;
  }
  return out;
}

/** Per output channel, the float16 bits of each 0–255 value under a transform (see {@link halfTables}). */
export type HalfTables = readonly [Uint16Array, Uint16Array, Uint16Array];

/**
 * For float16 models: an 8-bit value has 256 possible inputs per channel, so each channel's
 * transform is a table of 256 float16s, made once per model. Each entry is what {@link hwcToChw}
 * followed by a float32 → float16 conversion gives (the multiply-add rounded to float32 first),
 * so the tensor is the same bit for bit, in one lookup per value instead of a multiply-add and a
 * conversion (0.8 ms a request on a 224×224 input).
 */
export function halfTables(transform: PixelTransform): HalfTables {
  const mean = transform.mean ?? [0, 0, 0];
  const std = transform.std ?? [1, 1, 1];
  const table = (c: number) => {
    const a = transform.scale / std[c];
    const b = -mean[c] / std[c];
    return Uint16Array.from({ length: 256 }, (_, v) => toFloat16Bits(Math.fround(v * a + b)));
  };
  return [table(0), table(1), table(2)];
}

/** {@link hwcToChw} for a float16 input: planar float16 bits into `out` at `offset`. */
export function hwcToChwHalf(
  pixels: Uint8Array, width: number, height: number, transform: PixelTransform, tables: HalfTables, out: Uint16Array, offset = 0,
): Uint16Array {
  const plane = width * height;
  if (pixels.length < plane * 3) throw new RangeError(`expected ${plane * 3} bytes, got ${pixels.length}`);
  if (out.length < offset + plane * 3) throw new RangeError('output tensor too small');
  const [s0, s1, s2] = transform.bgr ? [2, 1, 0] : [0, 1, 2];
  const [t0, t1, t2] = tables;
  const [o0, o1, o2] = [offset, offset + plane, offset + 2 * plane];
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[o0 + i] = t0[pixels[p + s0]];
    out[o1 + i] = t1[pixels[p + s1]];
    out[o2 + i] = t2[pixels[p + s2]];
  }
  return out;
}

/** {@link hwcToFloat} for a float16 input: interleaved float16 bits into `out` at `offset`. */
export function hwcToHalf(
  pixels: Uint8Array, width: number, height: number, transform: PixelTransform, tables: HalfTables, out: Uint16Array, offset = 0,
): Uint16Array {
  const count = width * height * 3;
  if (pixels.length < count) throw new RangeError(`expected ${count} bytes, got ${pixels.length}`);
  if (out.length < offset + count) throw new RangeError('output tensor too small');
  const [s0, s1, s2] = transform.bgr ? [2, 1, 0] : [0, 1, 2];
  const [t0, t1, t2] = tables;
  for (let p = 0; p < count; p += 3) {
    out[offset + p] = t0[pixels[p + s0]];
    out[offset + p + 1] = t1[pixels[p + s1]];
    out[offset + p + 2] = t2[pixels[p + s2]];
  }
  return out;
}
