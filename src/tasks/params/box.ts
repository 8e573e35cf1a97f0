/**
 * A box in original-image pixels, as every result carries it. The same shape as vision's `Box`
 * (TypeScript compares structurally, so either is assignable to the other); declared here so that
 * result types stay importable without vision/ and sharp.
 */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}
