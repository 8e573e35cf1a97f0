import { describe, expect, it } from 'vitest';
import { ArgusError } from '../../errors.js';
import { compileCamera } from './config.js';

/** The problems a config is refused with, as "path: message" lines. */
function problems(config: unknown): string[] {
  try {
    compileCamera('cam', config);
  } catch (error) {
    expect(error).toBeInstanceOf(ArgusError);
    expect((error as ArgusError).code).toBe('invalid_camera_config');
    expect((error as ArgusError).status).toBe(400);
    return ((error as ArgusError).details as Array<{ path: string; message: string }>).map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('the config was accepted');
}

const square = [[0, 0], [10, 0], [10, 10], [0, 10]];
const points = [
  { image: [0, 0], ground: [0, 0] },
  { image: [100, 0], ground: [1, 0] },
  { image: [100, 100], ground: [1, 1] },
  { image: [0, 100], ground: [0, 1] },
];

describe('compileCamera', () => {
  it('compiles a full camera: homography from points, zones, rules with defaults', () => {
    const camera = compileCamera('gate', {
      classes: ['person', 'truck'],
      conf: 0.3,
      homography: { points },
      zones: [{ name: 'restricted', polygon: square, risk: 'high' }],
      rules: [
        { type: 'in_zone', zone: 'restricted', classes: ['person'] },
        { type: 'proximity', classes: ['truck'], near: ['person'], within: 5, risk: 'critical', name: 'truck-near-person' },
      ],
      priorities: { critical: 'URGENT' },
    });
    expect(camera.homography!.matrix[0][0]).toBeCloseTo(0.01, 12);
    expect(camera.homography!.rmsError).toBeLessThan(1e-9);
    expect(camera.zones[0]).toMatchObject({ name: 'restricted', space: 'ground', risk: 'high' });
    expect(camera.rules.map((r) => [r.name, r.risk])).toEqual([['in_zone_0', 'high'], ['truck-near-person', 'critical']]);
    expect(camera.priorities).toEqual({ critical: 'URGENT', high: 'P2', medium: 'P3', low: 'P4', none: 'P5' });
    expect(camera.conf).toBe(0.3);
  });

  it('names the exact path of each schema problem', () => {
    expect(problems({ zones: [{ name: 'a', polygon: square, risk: 'high', poligon: [] }], conf: 2 })).toEqual([
      '/conf: must be <= 1',
      '/zones/0/poligon: unknown property',
    ]);
    expect(problems({ rules: [{ type: 'teleport' }] })).toEqual([
      '/rules/0/type: must be one of: in_zone, count, proximity, speed, zone_entry, zone_exit, line_crossing',
    ]);
    expect(problems({ homography: { points }, rules: [{ type: 'proximity', classes: ['person'], near: ['car'], risk: 'high' }] })).toEqual([
      '/rules/0/within: required',
    ]);
    expect(problems({ homography: { matrix: [[1, 0, 0], [0, 1, 0]] } })[0]).toMatch(/^\/homography\/matrix: /);
  });

  it('checks meaning: polygons, zone names and references, classes, risk', () => {
    expect(problems({
      homography: { points },
      classes: ['person', 'car'],
      zones: [
        { name: 'a', polygon: square, risk: 'low' },
        { name: 'a', polygon: square, risk: 'low' },
        { name: 'b', polygon: [[0, 0], [1, 1]], risk: 'low' },
        { name: 'c', polygon: [[0, 0], [10, 10], [10, 0], [0, 10]], risk: 'low' },
        { name: 'd', polygon: [[0, 0], [1, 1], [2, 2]], risk: 'low' },
      ],
      rules: [
        { type: 'in_zone', zone: 'lobby' },
        { type: 'count', classes: ['truck'], above: 3 },
      ],
    })).toEqual([
      "/zones/1/name: duplicate zone name 'a' (also zone 0)",
      '/zones/2/polygon: needs at least 3 points',
      '/zones/3/polygon: edges 0 and 2 cross; a zone must not intersect itself',
      '/zones/4/polygon: has no area (its points are collinear)',
      "/rules/0/zone: no zone named 'lobby' (zones: a, a, b, c, d)",
      "/rules/1/classes/0: 'truck' is not among the camera's classes (person, car)",
      '/rules/1/risk: required (this rule has no zone to take a risk level from)',
    ]);
  });

  it('refuses ground measures without a homography', () => {
    expect(problems({
      zones: [{ name: 'z', space: 'ground', polygon: square, risk: 'low' }],
      rules: [{ type: 'proximity', classes: ['person'], near: ['car'], within: 2, risk: 'high' }, { type: 'speed', above: 3, risk: 'low' }],
    })).toEqual([
      '/zones/0/space: ground zones need a homography (set /homography, or "space": "image" for pixel coordinates)',
      '/rules/0: a proximity rule needs a homography (it measures on the ground in metres)',
      '/rules/1: a speed rule needs a homography (it measures on the ground in metres)',
    ]);
    // Image zones work without one, and are the default then.
    expect(compileCamera('c', { zones: [{ name: 'z', polygon: square, risk: 'low' }] }).zones[0].space).toBe('image');
  });

  it('refuses degenerate homographies with the path of the problem', () => {
    expect(problems({ homography: { points: [...points.slice(0, 3), { image: [100, 0], ground: [3, 3] }] } })).toEqual([
      '/homography/points/3/image: duplicates point 1',
    ]);
    expect(problems({ homography: { points: points.map((p, i) => ({ image: [i * 10, i * 10], ground: p.ground })) } })).toEqual([
      '/homography/points: the image points are (nearly) collinear; a homography needs points spread over the plane',
    ]);
    expect(problems({ homography: { points: points.slice(0, 3) } })).toEqual(['/homography/points: needs at least 4 point pairs, got 3']);
    expect(problems({ homography: { matrix: [[1, 2, 3], [2, 4, 6], [0, 0, 1]] } })).toEqual([
      '/homography/matrix: is (nearly) singular; it cannot map the image plane to the ground',
    ]);
    expect(problems({ homography: { matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], points } })).toEqual(['/homography: give either matrix or points, not both']);
    expect(problems({ homography: {} })).toEqual(['/homography: needs matrix (3×3) or points (≥ 4 image ↔ ground pairs)']);
  });
});
