import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { errors } from '../../errors.js';
import { polygonArea, selfIntersection } from '../../vision/geometry.js';
import { checkHomographyMatrix, DegenerateHomographyError, fitHomography, type Matrix3, type Point } from '../../vision/homography.js';
import { CameraConfigSchema, MOTION_RULES, RULE_SCHEMAS, type CameraConfig, type EventRisk, type RiskLevel, type RuleType } from './schema.js';

/** One problem in a config: a JSON pointer into it and what is wrong there. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type Priorities = Record<RiskLevel, string>;
export const DEFAULT_PRIORITIES: Priorities = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4', none: 'P5' };

export interface CompiledZone {
  name: string;
  space: 'ground' | 'image';
  polygon: Point[];
  risk: EventRisk;
}

/** A rule ready to evaluate: defaults filled, its zone's risk resolved, class lists as sets. */
export interface CompiledRule {
  index: number;
  name: string;
  type: RuleType;
  risk: EventRisk;
  /** Classes it applies to; any class when absent. */
  classes?: ReadonlySet<string>;
  zone?: string;
  above?: number;
  near?: ReadonlySet<string>;
  within?: number;
  line?: [Point, Point];
  space?: 'ground' | 'image';
}

export interface CompiledTracking {
  lowConf: number;
  matchThreshold: number;
  lostS: number;
  speedWindowS: number;
}

/** A validated camera, compiled for analysis. `config` is what the client sent (stored as is). */
export interface CompiledCamera {
  id: string;
  config: CameraConfig;
  model?: string;
  classes?: string[];
  conf: number;
  iou?: number;
  homography?: { matrix: Matrix3; rmsError?: number; wSign?: 1 | -1 };
  zones: CompiledZone[];
  rules: CompiledRule[];
  priorities: Priorities;
  tracking: CompiledTracking;
}

function schemaProblems(schema: TSchema, value: unknown, prefix = ''): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.instancePath;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties':
        for (const name of (params.additionalProperties as string[]) ?? []) problems.push({ path: `${path}/${name}`, message: 'unknown property' });
        break;
      case 'required':
        for (const name of (params.requiredProperties as string[]) ?? []) problems.push({ path: `${path}/${name}`, message: 'required' });
        break;
      case 'boolean':
        // additionalProperties already named the property; an extra tuple item is reported here.
        if (e.schemaPath.endsWith('additionalItems')) problems.push({ path, message: 'unexpected item' });
        break;
      case 'enum':
        problems.push({ path, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` });
        break;
      default:
        problems.push({ path, message: e.message });
    }
  }
  return problems.filter((p, i) => problems.findIndex((q) => q.path === p.path && q.message === p.message) === i);
}

function homographyOf(config: CameraConfig, problems: ConfigProblem[]): CompiledCamera['homography'] {
  const h = config.homography;
  if (!h) return undefined;
  if (h.matrix && h.points) {
    problems.push({ path: '/homography', message: 'give either matrix or points, not both' });
    return undefined;
  }
  try {
    if (h.matrix) {
      const matrix = h.matrix.map((row) => [...row]) as Matrix3;
      checkHomographyMatrix(matrix);
      return { matrix };
    }
    if (h.points) {
      const fit = fitHomography(h.points.map((p) => ({ image: p.image, ground: p.ground })));
      return { matrix: fit.matrix, rmsError: fit.rmsError, wSign: fit.wSign };
    }
    problems.push({ path: '/homography', message: 'needs matrix (3×3) or points (≥ 4 image ↔ ground pairs)' });
  } catch (error) {
    if (!(error instanceof DegenerateHomographyError)) throw error;
    const { field, index } = error.location;
    const base = h.matrix ? '/homography/matrix' : '/homography/points';
    const path = index !== undefined ? `${base}/${index}/${field}` : base;
    problems.push({ path, message: error.message });
  }
  return undefined;
}

function zonesOf(config: CameraConfig, hasHomography: boolean, problems: ConfigProblem[]): CompiledZone[] {
  const zones: CompiledZone[] = [];
  const seen = new Map<string, number>();
  (config.zones ?? []).forEach((zone, i) => {
    const at = `/zones/${i}`;
    const space = zone.space ?? (hasHomography ? 'ground' : 'image');
    if (seen.has(zone.name)) problems.push({ path: `${at}/name`, message: `duplicate zone name '${zone.name}' (also zone ${seen.get(zone.name)})` });
    seen.set(zone.name, i);
    if (space === 'ground' && !hasHomography && config.homography === undefined) {
      problems.push({ path: `${at}/space`, message: 'ground zones need a homography (set /homography, or "space": "image" for pixel coordinates)' });
    }
    const polygon = zone.polygon as Point[];
    if (polygon.length < 3) {
      problems.push({ path: `${at}/polygon`, message: 'needs at least 3 points' });
    } else {
      // Crossing first: a bow tie's two lobes cancel out to zero signed area.
      const crossing = selfIntersection(polygon);
      if (crossing) problems.push({ path: `${at}/polygon`, message: `edges ${crossing[0]} and ${crossing[1]} cross; a zone must not intersect itself` });
      else if (Math.abs(polygonArea(polygon)) < 1e-9) problems.push({ path: `${at}/polygon`, message: 'has no area (its points are collinear)' });
    }
    zones.push({ name: zone.name, space, polygon, risk: zone.risk });
  });
  return zones;
}

function checkClasses(list: readonly string[] | undefined, path: string, allowed: readonly string[] | undefined, problems: ConfigProblem[]): void {
  if (!list || !allowed) return;
  list.forEach((label, j) => {
    if (!allowed.includes(label)) problems.push({ path: `${path}/${j}`, message: `'${label}' is not among the camera's classes (${allowed.join(', ')})` });
  });
}

function rulesOf(config: CameraConfig, zones: CompiledZone[], hasHomography: boolean, problems: ConfigProblem[]): CompiledRule[] {
  const rules: CompiledRule[] = [];
  const names = new Map<string, number>();
  (config.rules ?? []).forEach((raw, i) => {
    const at = `/rules/${i}`;
    const type = raw.type as RuleType;
    const ruleProblems = schemaProblems(RULE_SCHEMAS[type], raw, at);
    if (ruleProblems.length) {
      problems.push(...ruleProblems);
      return;
    }
    const r = raw as Record<string, unknown> & { type: RuleType; name?: string; risk?: EventRisk; classes?: string[]; zone?: string; near?: string[]; space?: 'ground' | 'image' };
    const name = r.name ?? `${type}_${i}`;
    if (names.has(name)) problems.push({ path: `${at}/name`, message: `duplicate rule name '${name}' (also rule ${names.get(name)})` });
    names.set(name, i);
    checkClasses(r.classes, `${at}/classes`, config.classes, problems);
    checkClasses(r.near, `${at}/near`, config.classes, problems);
    const zone = r.zone === undefined ? undefined : zones.find((z) => z.name === r.zone);
    if (r.zone !== undefined && !zone) {
      problems.push({ path: `${at}/zone`, message: `no zone named '${r.zone}' (zones: ${zones.map((z) => z.name).join(', ') || 'none'})` });
    }
    const space = r.space ?? (hasHomography ? 'ground' : 'image');
    if (!hasHomography && (type === 'proximity' || type === 'speed' || (type === 'line_crossing' && space === 'ground'))) {
      problems.push({ path: at, message: `a ${type} rule needs a homography (it measures on the ground in metres)` });
    }
    if (type === 'line_crossing') {
      const [a, b] = r.line as [Point, Point];
      if (a[0] === b[0] && a[1] === b[1]) problems.push({ path: `${at}/line`, message: 'its two points are the same' });
    }
    const risk = r.risk ?? zone?.risk;
    if (!risk && (r.zone === undefined || zone)) problems.push({ path: `${at}/risk`, message: 'required (this rule has no zone to take a risk level from)' });
    rules.push({
      index: i,
      name,
      type,
      risk: risk ?? 'low',
      classes: r.classes ? new Set(r.classes) : undefined,
      zone: r.zone,
      above: r.above as number | undefined,
      near: r.near ? new Set(r.near) : undefined,
      within: r.within as number | undefined,
      line: r.line as [Point, Point] | undefined,
      space: type === 'line_crossing' ? space : undefined,
    });
  });
  return rules;
}

/**
 * Validates a camera config and compiles it: schema first (every problem with its exact JSON
 * pointer), then meaning (the homography is computable, zones are proper polygons, rules name
 * existing zones and classes, ground measures have a homography). Throws `invalid_camera_config`
 * listing every problem.
 */
export function compileCamera(id: string, raw: unknown, defaults: { priorities?: Partial<Priorities> } = {}): CompiledCamera {
  const problems = schemaProblems(CameraConfigSchema, raw);
  if (problems.length) throw errors.invalidCameraConfig(problems);
  const config = raw as CameraConfig;
  const homography = homographyOf(config, problems);
  const hasHomography = homography !== undefined;
  const zones = zonesOf(config, hasHomography, problems);
  const rules = rulesOf(config, zones, hasHomography || config.homography !== undefined, problems);
  const conf = config.conf ?? 0.25;
  const lowConf = config.tracking?.low_conf ?? Math.min(0.1, conf);
  if (lowConf > conf) problems.push({ path: '/tracking/low_conf', message: `must not be above conf (${conf})` });
  if (problems.length) throw errors.invalidCameraConfig(problems);
  return {
    id,
    config,
    model: config.model,
    classes: config.classes,
    conf,
    iou: config.iou,
    homography,
    zones,
    rules,
    priorities: { ...DEFAULT_PRIORITIES, ...stripUndefined(defaults.priorities), ...stripUndefined(config.priorities) },
    tracking: {
      lowConf,
      matchThreshold: config.tracking?.match_threshold ?? 0.8,
      lostS: config.tracking?.lost_s ?? 1.5,
      speedWindowS: config.tracking?.speed_window_s ?? 1,
    },
  };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Rules that cannot run on a single image (they need motion), by name. */
export function motionRuleNames(camera: CompiledCamera): string[] {
  return camera.rules.filter((r) => MOTION_RULES.has(r.type)).map((r) => r.name);
}
