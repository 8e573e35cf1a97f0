/** Ground (metres) → image (pixels) for drawing ground-space zones: the inverse of a camera's image → ground homography. */

export type Matrix3 = number[][];

/** The inverse of a 3×3 matrix (adjugate over determinant); undefined when it is singular. */
export function invert3(m: Matrix3): Matrix3 | undefined {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return undefined;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** Applies a homography to a point; undefined for a point on the horizon. */
export function project(m: Matrix3, x: number, y: number): [number, number] | undefined {
  const w = m[2][0] * x + m[2][1] * y + m[2][2];
  if (Math.abs(w) < 1e-9) return undefined;
  return [(m[0][0] * x + m[0][1] * y + m[0][2]) / w, (m[1][0] * x + m[1][1] * y + m[1][2]) / w];
}
