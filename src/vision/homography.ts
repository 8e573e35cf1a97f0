import { Matrix, SingularValueDecomposition } from 'ml-matrix';

/** A 2-D point as `[x, y]`. */
export type Point = readonly [number, number];

/** A 3×3 matrix, row-major. */
export type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

/** One correspondence: a pixel in the image and where it lies on the ground. */
export interface PointPair {
  image: Point;
  ground: Point;
}

/** Which set of points a problem concerns, and at which index, so callers can report an exact path. */
export interface HomographyProblemLocation {
  field?: 'image' | 'ground';
  index?: number;
}

/** A point set from which no reliable homography can be computed; `location` says where. */
export class DegenerateHomographyError extends Error {
  constructor(message: string, readonly location: HomographyProblemLocation = {}) {
    super(message);
    this.name = 'DegenerateHomographyError';
  }
}

export interface HomographyFit {
  /** Image → ground, scaled so that H[2][2] = 1 where possible. */
  matrix: Matrix3;
  /** Root-mean-square distance on the ground between mapped image points and their ground points. */
  rmsError: number;
  /** Sign of the homogeneous w of the calibration points; points with the other sign lie beyond the horizon. */
  wSign: 1 | -1;
}

/** Relative size below which a singular value counts as zero (points collinear, matrix singular). */
const COLLINEAR_RATIO = 1e-3;
const SINGULAR_RATIO = 1e-8;

/**
 * Hartley normalisation: a similarity that moves the centroid to the origin and scales the points
 * so their mean distance from it is √2. It makes the DLT's linear system well conditioned.
 */
function normaliser(points: readonly Point[]): Matrix3 {
  const n = points.length;
  const cx = points.reduce((s, p) => s + p[0], 0) / n;
  const cy = points.reduce((s, p) => s + p[1], 0) / n;
  const meanDistance = points.reduce((s, p) => s + Math.hypot(p[0] - cx, p[1] - cy), 0) / n;
  const s = meanDistance > 0 ? Math.SQRT2 / meanDistance : 1;
  return [[s, 0, -s * cx], [0, s, -s * cy], [0, 0, 1]];
}

/** Maps a point through a homography; `undefined` when it lands at infinity. */
export function applyHomography(h: Matrix3, p: Point): { x: number; y: number; w: number } | undefined {
  const w = h[2][0] * p[0] + h[2][1] * p[1] + h[2][2];
  if (!Number.isFinite(w) || Math.abs(w) < 1e-12) return undefined;
  return {
    x: (h[0][0] * p[0] + h[0][1] * p[1] + h[0][2]) / w,
    y: (h[1][0] * p[0] + h[1][1] * p[1] + h[1][2]) / w,
    w,
  };
}

const toMatrix3 = (m: Matrix): Matrix3 => m.to2DArray() as Matrix3;

/** Singular values of a small matrix, largest first. */
function singularValues(rows: number[][]): number[] {
  return new SingularValueDecomposition(new Matrix(rows), { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
}

function checkFinite(pairs: readonly PointPair[]): void {
  pairs.forEach((pair, index) => {
    for (const field of ['image', 'ground'] as const) {
      if (!pair[field].every(Number.isFinite)) throw new DegenerateHomographyError('must be finite numbers', { field, index });
    }
  });
}

function checkDuplicates(points: readonly Point[], field: 'image' | 'ground'): void {
  const scale = Math.max(1e-12, ...points.map((p) => Math.max(Math.abs(p[0]), Math.abs(p[1]))));
  for (let j = 1; j < points.length; j++) {
    for (let i = 0; i < j; i++) {
      if (Math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]) <= scale * 1e-9) {
        throw new DegenerateHomographyError(`duplicates point ${i}`, { field, index: j });
      }
    }
  }
}

/** The points' spread in their weakest direction relative to their strongest (0 when collinear). */
function flatness(points: readonly Point[]): number {
  const t = normaliser(points);
  const centred = points.map((p) => [t[0][0] * p[0] + t[0][2], t[1][1] * p[1] + t[1][2]]);
  const [major, minor] = singularValues(centred);
  return major > 0 ? minor / major : 0;
}

function checkCollinear(points: readonly Point[], field: 'image' | 'ground'): void {
  if (flatness(points) < COLLINEAR_RATIO) {
    throw new DegenerateHomographyError(`the ${field} points are (nearly) collinear; a homography needs points spread over the plane`, { field });
  }
  // With the minimal 4 pairs, three points on one line already leave the homography undetermined.
  if (points.length !== 4) return;
  for (let skip = 0; skip < 4; skip++) {
    const triple = points.filter((_, i) => i !== skip);
    if (flatness(triple) < COLLINEAR_RATIO) {
      const which = [0, 1, 2, 3].filter((i) => i !== skip).join(', ');
      throw new DegenerateHomographyError(`${field} points ${which} are (nearly) collinear; with 4 pairs no 3 points may lie on one line`, { field });
    }
  }
}

/** Checks a given 3×3 matrix: finite and not (nearly) singular. */
export function checkHomographyMatrix(h: Matrix3): void {
  if (!h.every((row) => row.every(Number.isFinite))) throw new DegenerateHomographyError('must hold finite numbers');
  const sv = singularValues(h.map((row) => [...row]));
  if (!(sv[0] > 0) || sv[2] / sv[0] < SINGULAR_RATIO) throw new DegenerateHomographyError('is (nearly) singular; it cannot map the image plane to the ground');
}

/**
 * Computes the image → ground homography from ≥ 4 point pairs with the normalised DLT (Hartley):
 * both point sets are normalised, the 2n×9 system is solved by SVD (least squares when n > 4), and
 * the result is denormalised. Degenerate sets (duplicates, collinear points, a singular result,
 * points on both sides of the horizon) throw {@link DegenerateHomographyError}.
 */
export function fitHomography(pairs: readonly PointPair[]): HomographyFit {
  if (pairs.length < 4) throw new DegenerateHomographyError(`needs at least 4 point pairs, got ${pairs.length}`);
  checkFinite(pairs);
  const image = pairs.map((p) => p.image);
  const ground = pairs.map((p) => p.ground);
  checkDuplicates(image, 'image');
  checkDuplicates(ground, 'ground');
  checkCollinear(image, 'image');
  checkCollinear(ground, 'ground');

  const ti = normaliser(image);
  const tg = normaliser(ground);
  const rows: number[][] = [];
  for (const pair of pairs) {
    const x = ti[0][0] * pair.image[0] + ti[0][2];
    const y = ti[1][1] * pair.image[1] + ti[1][2];
    const u = tg[0][0] * pair.ground[0] + tg[0][2];
    const v = tg[1][1] * pair.ground[1] + tg[1][2];
    rows.push([-x, -y, -1, 0, 0, 0, u * x, u * y, u]);
    rows.push([0, 0, 0, -x, -y, -1, v * x, v * y, v]);
  }
  // ml-matrix's SVD wants at least as many rows as columns; zero rows leave the null space unchanged.
  while (rows.length < 9) rows.push(new Array(9).fill(0));
  const svd = new SingularValueDecomposition(new Matrix(rows), { computeLeftSingularVectors: false });
  const sv = svd.diagonal;
  // The solution is the singular vector of the smallest singular value; it is unique only if the
  // next smallest one is clearly above zero.
  if (sv[7] / sv[0] < SINGULAR_RATIO) {
    throw new DegenerateHomographyError('the points do not determine a unique homography (too many of them lie on one line)');
  }
  const h = svd.rightSingularVectors.getColumn(8);
  const hn = new Matrix([h.slice(0, 3), h.slice(3, 6), h.slice(6, 9)]);
  let full = new Matrix(invert3(tg)).mmul(hn).mmul(new Matrix(ti));
  const corner = full.get(2, 2);
  full = full.div(Math.abs(corner) > 1e-12 ? corner : full.norm());
  const matrix = toMatrix3(full);
  checkHomographyMatrix(matrix);

  const signs = new Set<number>();
  let squared = 0;
  for (const pair of pairs) {
    const mapped = applyHomography(matrix, pair.image);
    if (!mapped) throw new DegenerateHomographyError('an image point maps to infinity (it lies on the horizon)');
    signs.add(Math.sign(mapped.w));
    squared += (mapped.x - pair.ground[0]) ** 2 + (mapped.y - pair.ground[1]) ** 2;
  }
  if (signs.size > 1) throw new DegenerateHomographyError('the image points lie on both sides of the horizon; check that each pair matches');
  return { matrix, rmsError: Math.sqrt(squared / pairs.length), wSign: signs.has(-1) ? -1 : 1 };
}

/** The inverse of a 3×3 matrix (adjugate over determinant). */
export function invert3(m: Matrix3): Matrix3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-300) throw new DegenerateHomographyError('is singular');
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
