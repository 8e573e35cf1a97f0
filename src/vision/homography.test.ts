import { describe, expect, it } from 'vitest';
import { applyHomography, DegenerateHomographyError, fitHomography, invert3, type Matrix3, type Point, type PointPair } from './homography.js';

/** A plausible CCTV homography: perspective (non-zero last row), scale and rotation, H[2][2] = 1. */
const KNOWN: Matrix3 = [
  [0.021, -0.0043, -3.2],
  [0.0012, 0.047, -9.1],
  [0.00002, 0.0011, 1],
];

function mapped(h: Matrix3, p: Point): Point {
  const r = applyHomography(h, p)!;
  return [r.x, r.y];
}

function pairsFor(h: Matrix3, image: Point[]): PointPair[] {
  return image.map((p) => ({ image: p, ground: mapped(h, p) }));
}

function maxAbsDiff(a: Matrix3, b: Matrix3): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

/** Deterministic pseudo-random numbers (mulberry32), so the noisy test is reproducible. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fitHomography (normalised DLT)', () => {
  it('recovers a known matrix from 4 exact pairs to within 1e-6', () => {
    const fit = fitHomography(pairsFor(KNOWN, [[100, 600], [1180, 620], [900, 300], [300, 280]]));
    expect(maxAbsDiff(fit.matrix, KNOWN)).toBeLessThan(1e-6);
    expect(fit.rmsError).toBeLessThan(1e-9);
    expect(fit.wSign).toBe(1);
  });

  it('recovers it from many exact pairs (least squares reaches the exact solution)', () => {
    const image: Point[] = [];
    for (let x = 0; x <= 1280; x += 320) for (let y = 200; y <= 720; y += 130) image.push([x, y]);
    const fit = fitHomography(pairsFor(KNOWN, image));
    expect(maxAbsDiff(fit.matrix, KNOWN)).toBeLessThan(1e-6);
  });

  it('fits noisy pairs in the least-squares sense: the error stays at the noise level', () => {
    const rand = random(7);
    const image: Point[] = Array.from({ length: 30 }, () => [rand() * 1280, 250 + rand() * 470] as Point);
    const noise = 0.02; // metres, uniform in ±noise on each axis
    const pairs = image.map((p) => {
      const [gx, gy] = mapped(KNOWN, p);
      return { image: p, ground: [gx + (rand() * 2 - 1) * noise, gy + (rand() * 2 - 1) * noise] as Point };
    });
    const fit = fitHomography(pairs);
    // RMS of uniform noise in 2-D is noise·√(2/3) ≈ 0.016; the fit absorbs a little of it.
    expect(fit.rmsError).toBeLessThan(0.02);
    expect(fit.rmsError).toBeGreaterThan(0.005);
    // Points never seen in the fit land close to where the true homography puts them.
    for (const probe of [[640, 500], [50, 700], [1200, 300]] as Point[]) {
      const [x, y] = mapped(fit.matrix, probe);
      const [tx, ty] = mapped(KNOWN, probe);
      expect(Math.hypot(x - tx, y - ty)).toBeLessThan(0.05);
    }
  });

  it('maps known points: a pure scale and offset, and the inverse back', () => {
    const fit = fitHomography([
      { image: [0, 0], ground: [10, 20] },
      { image: [100, 0], ground: [12, 20] },
      { image: [100, 100], ground: [12, 22] },
      { image: [0, 100], ground: [10, 22] },
    ]);
    expect(mapped(fit.matrix, [50, 50])[0]).toBeCloseTo(11, 9);
    expect(mapped(fit.matrix, [50, 50])[1]).toBeCloseTo(21, 9);
    expect(mapped(fit.matrix, [250, -50])).toEqual([expect.closeTo(15, 9), expect.closeTo(19, 9)]);
    const back = mapped(invert3(fit.matrix), [12, 22]);
    expect(back[0]).toBeCloseTo(100, 6);
    expect(back[1]).toBeCloseTo(100, 6);
  });

  it('rejects collinear image points', () => {
    const image: Point[] = [[0, 0], [10, 10], [20, 20], [30, 30], [40, 40]];
    const attempt = () => fitHomography(image.map((p, i) => ({ image: p, ground: [i, i * i] as Point })));
    expect(attempt).toThrow(DegenerateHomographyError);
    expect(attempt).toThrow(/image points are \(nearly\) collinear/);
  });

  it('rejects 4 pairs with three points on one line', () => {
    const attempt = () => fitHomography([
      { image: [0, 0], ground: [0, 0] },
      { image: [50, 0], ground: [1, 0] },
      { image: [100, 0], ground: [2, 0.5] },
      { image: [0, 100], ground: [0, 2] },
    ]);
    expect(attempt).toThrow(/points 0, 1, 2 are \(nearly\) collinear/);
  });

  it('rejects duplicate points and says which', () => {
    try {
      fitHomography([
        { image: [0, 0], ground: [0, 0] },
        { image: [100, 0], ground: [1, 0] },
        { image: [100, 100], ground: [1, 1] },
        { image: [100, 0], ground: [0, 1] },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DegenerateHomographyError);
      expect((error as DegenerateHomographyError).location).toEqual({ field: 'image', index: 3 });
      expect((error as Error).message).toBe('duplicates point 1');
    }
  });

  it('rejects fewer than 4 pairs, and non-finite numbers', () => {
    expect(() => fitHomography(pairsFor(KNOWN, [[0, 300], [100, 400], [300, 500]]))).toThrow(/at least 4 point pairs, got 3/);
    expect(() => fitHomography([...pairsFor(KNOWN, [[0, 300], [100, 400], [300, 500]]), { image: [Number.NaN, 1], ground: [1, 1] }])).toThrow(/finite/);
  });

  it('rejects pairs that put points on both sides of the horizon', () => {
    // The "ground" of the last pair is the reflection a mismatched pair produces.
    const pairs = pairsFor(KNOWN, [[100, 600], [1180, 620], [900, 300], [300, 280], [640, 450]]);
    const horizonY = -1 / KNOWN[2][1]; // w = 0 along here for x ≈ 0 (far above the image)
    pairs.push({ image: [0, horizonY * 1.5], ground: mapped(KNOWN, [0, horizonY * 1.5]) });
    expect(() => fitHomography(pairs)).toThrow(/both sides of the horizon/);
  });
});
