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
