import { distance, footPoint, pointInPolygon } from '../../vision/geometry.js';
import { applyHomography, type Point } from '../../vision/homography.js';
import type { Box } from '../../vision/letterbox.js';
import type { CompiledCamera, CompiledRule, Priorities } from './config.js';
import { counted, inventory, oneDecimal } from './language.js';
import { RISK_LEVELS, type EventRisk, type RiskLevel, type RuleType } from './schema.js';
import { round2 } from '../../numbers.js';

/** A detection as rules see it. */
export interface Detected {
  label: string;
  confidence: number;
  box: Box;
  track_id?: number;
}

/** An object of a scene result: where it is in the image and on the ground, and its zone. */
export interface SceneObject extends Detected {
  ground?: { x: number; y: number };
  /** The highest-risk zone it stands in (the first listed on a tie). */
  zone?: string;
}

/** A detection placed in the scene: foot point, ground point and every zone it stands in. */
export interface Located {
  object: SceneObject;
  image: Point;
  ground?: Point;
  zones: string[];
}

export interface SceneEvent {
  /** The rule's name. */
  rule: string;
  type: RuleType;
  risk_level: EventRisk;
  /** Indices into the result's `objects` (for a frame), or empty for video summaries. */
  objects: number[];
  /** Track ids of the objects, on video and streams. */
  track_ids?: number[];
  message: string;
  zone?: string;
  distance_m?: number;
  speed_mps?: number;
  count?: number;
  /** Seconds from the start of the video or stream. */
  t?: number;
}

const RANK: Record<RiskLevel, number> = Object.fromEntries(RISK_LEVELS.map((level, i) => [level, i])) as Record<RiskLevel, number>;

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/** A result's risk: its highest event's, 'none' without events. */
export function riskOf(events: readonly SceneEvent[]): RiskLevel {
  return events.reduce<RiskLevel>((risk, e) => maxRisk(risk, e.risk_level), 'none');
}

export function priorityOf(risk: RiskLevel, priorities: Priorities): string {
  return priorities[risk];
}

/** Image point → ground, or undefined without a homography or beyond the horizon. */
export function toGround(camera: CompiledCamera, image: Point): Point | undefined {
  const h = camera.homography;
  if (!h) return undefined;
  const mapped = applyHomography(h.matrix, image);
  if (!mapped || (h.wSign !== undefined && Math.sign(mapped.w) !== h.wSign)) return undefined;
  return [mapped.x, mapped.y];
}

/** Places a detection: its foot (bottom-centre of the box) in the image and on the ground, and its zones. */
export function locate(camera: CompiledCamera, detected: Detected): Located {
  const image = footPoint(detected.box);
  const ground = toGround(camera, image);
  const zones = camera.zones
    .filter((zone) => {
      const point = zone.space === 'image' ? image : ground;
      return point !== undefined && pointInPolygon(point, zone.polygon);
    });
  const top = zones.reduce<(typeof zones)[number] | undefined>((best, z) => (!best || RANK[z.risk] > RANK[best.risk] ? z : best), undefined);
  const object: SceneObject = {
    ...(detected.track_id !== undefined && { track_id: detected.track_id }),
    label: detected.label,
    confidence: detected.confidence,
    box: detected.box,
    ...(ground && { ground: { x: round2(ground[0]), y: round2(ground[1]) } }),
    ...(top && { zone: top.name }),
  };
  return { object, image, ground, zones: zones.map((z) => z.name) };
}

const applies = (rule: CompiledRule, label: string) => !rule.classes || rule.classes.has(label);

/** What a frame rule found, before it becomes an event: indices into the frame's objects. */
export interface FrameMatch {
  objects: number[];
  message: string;
  distance_m?: number;
  count?: number;
}

/** "2 people in zone restricted". */
export function inZoneMessage(labels: readonly string[], zone: string): string {
  return `${inventory(labels)} in zone ${zone}`;
}

/** Objects of a rule's classes inside its zone. */
export function inZone(rule: CompiledRule, located: readonly Located[]): number[] {
  return located.flatMap((l, i) => (applies(rule, l.object.label) && l.zones.includes(rule.zone!) ? [i] : []));
}

/** Pairs (object of `classes`, object of `near`) closer than `within` metres on the ground, closest first. */
export function closePairs(rule: CompiledRule, located: readonly Located[]): Array<{ a: number; b: number; distance: number }> {
  const pairs: Array<{ a: number; b: number; distance: number }> = [];
  const seen = new Set<string>();
  located.forEach((la, a) => {
    if (!la.ground || !applies(rule, la.object.label)) return;
    located.forEach((lb, b) => {
      if (a === b || !lb.ground || !rule.near!.has(lb.object.label)) return;
      const key = a < b ? `${a}:${b}` : `${b}:${a}`;
      if (seen.has(key)) return;
      const d = distance(la.ground!, lb.ground!);
      if (d < rule.within!) {
        seen.add(key);
        pairs.push({ a, b, distance: d });
      }
    });
  });
  return pairs.sort((x, y) => x.distance - y.distance);
}

/** Objects a count rule counts (its classes, in its zone when it has one). */
export function objectsCounted(rule: CompiledRule, located: readonly Located[]): number[] {
  return located.flatMap((l, i) => (applies(rule, l.object.label) && (!rule.zone || l.zones.includes(rule.zone)) ? [i] : []));
}

/** Evaluates one frame rule (in_zone, count, proximity) on located objects. */
export function matchFrameRule(rule: CompiledRule, located: readonly Located[]): FrameMatch[] {
  const labels = (indices: number[]) => indices.map((i) => located[i].object.label);
  switch (rule.type) {
    case 'in_zone': {
      const inside = inZone(rule, located);
      return inside.length ? [{ objects: inside, message: inZoneMessage(labels(inside), rule.zone!) }] : [];
    }
    case 'count': {
      const objects = objectsCounted(rule, located);
      if (objects.length <= rule.above!) return [];
      const where = rule.zone ? `in zone ${rule.zone}` : 'in view';
      return [{ objects, count: objects.length, message: `${inventory(labels(objects))} ${where}, more than ${rule.above}` }];
    }
    case 'proximity':
      return closePairs(rule, located).map(({ a, b, distance: d }) => ({
        objects: [a, b],
        distance_m: round2(d),
        message: `${counted(located[a].object.label, 1)} ${oneDecimal(d)} m from ${counted(located[b].object.label, 1)}`,
      }));
    default:
      return [];
  }
}

/** Turns a match into an event of its rule. */
export function eventOf(rule: CompiledRule, match: FrameMatch, located: readonly Located[], t?: number): SceneEvent {
  const trackIds = match.objects.map((i) => located[i].object.track_id).filter((id): id is number => id !== undefined);
  return {
    rule: rule.name,
    type: rule.type,
    risk_level: rule.risk,
    objects: match.objects,
    ...(trackIds.length && { track_ids: trackIds }),
    message: match.message,
    ...(rule.zone && { zone: rule.zone }),
    ...(match.distance_m !== undefined && { distance_m: match.distance_m }),
    ...(match.count !== undefined && { count: match.count }),
    ...(t !== undefined && { t: round2(t) }),
  };
}

/** Every frame rule of the camera, in order, on one frame's objects. Motion rules are skipped. */
export function evaluateFrame(camera: CompiledCamera, located: readonly Located[]): SceneEvent[] {
  return camera.rules.flatMap((rule) => matchFrameRule(rule, located).map((match) => eventOf(rule, match, located)));
}
