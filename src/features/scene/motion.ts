import { cross, distance, segmentsIntersect } from '../../vision/geometry.js';
import type { Point } from '../../vision/homography.js';
import { ByteTracker } from '../../vision/tracking/byte-tracker.js';
import type { CompiledCamera, CompiledRule } from './config.js';
import { describeVideo } from './describe.js';
import { counted, oneDecimal } from './language.js';
import { eventOf, inZoneMessage, locate, matchFrameRule, priorityOf, riskOf, type Detected, type Located, type SceneEvent, type SceneObject } from './rules.js';
import type { RiskLevel } from './schema.js';
import { round2, round3 } from '../../numbers.js';

/** A tracked object in one frame, with its current ground speed when known. */
export interface TrackedSceneObject extends SceneObject {
  track_id: number;
  speed_mps?: number;
}

export interface MotionStep {
  /** Seconds from the start. */
  t: number;
  objects: TrackedSceneObject[];
  /** Events that began in this frame, in rule order. */
  events: SceneEvent[];
  risk_level: RiskLevel;
}

export interface TrackSummary {
  id: number;
  label: string;
  first_t: number;
  last_t: number;
  /** Frames it was seen in. */
  frames: number;
  /** Ground positions (metres) over time; absent without a homography. */
  path?: Array<{ t: number; x: number; y: number }>;
  /** Median of its windowed ground speeds (m/s): robust to the frames where it was partly hidden. */
  speed_mps?: number;
  max_speed_mps?: number;
  /** Zones it stood in at some point. */
  zones: string[];
}

export interface MotionSummary {
  frames: number;
  duration_s: number;
  risk_level: RiskLevel;
  priority: string;
  tracks: TrackSummary[];
  events: SceneEvent[];
  /** True when more events happened than the result keeps. */
  events_truncated?: boolean;
  description: string;
}

export interface MotionSessionOptions {
  /** Sampled frames per second: the tracker counts time in these intervals. */
  fps: number;
  /** Keep tracks that ended, for a summary at the end (video); live streams drop them. @defaultValue true */
  retainEnded?: boolean;
  /** Path points kept per track (oldest dropped first). @defaultValue 100000 */
  maxPathPoints?: number;
  /** Events kept for the summary. @defaultValue 10000 */
  maxEvents?: number;
}

interface TrackState {
  id: number;
  label: string;
  firstT: number;
  lastT: number;
  frames: number;
  path: Array<{ t: number; x: number; y: number }>;
  speeds: number[];
  speed?: number;
  zones?: Set<string>;
  visited: Set<string>;
  /** Per line rule: the last side (±1) the track was clearly on, and where. */
  lineSide: Map<number, { side: number; point: Point }>;
  /** Speed rules already reported for this track. */
  speeding: Set<number>;
}

/** Least-squares ground velocity over the points in the last `window` seconds; undefined when too few. */
export function windowSpeed(path: ReadonlyArray<{ t: number; x: number; y: number }>, t: number, window: number, minPoints = 3): number | undefined {
  let first = path.length;
  while (first > 0 && path[first - 1].t >= t - window - 1e-9) first--;
  const points = path.slice(first);
  if (points.length < minPoints || points[points.length - 1].t - points[0].t < window / 2) return undefined;
  const meanT = points.reduce((s, p) => s + p.t, 0) / points.length;
  const meanX = points.reduce((s, p) => s + p.x, 0) / points.length;
  const meanY = points.reduce((s, p) => s + p.y, 0) / points.length;
  let stt = 0;
  let stx = 0;
  let sty = 0;
  for (const p of points) {
    stt += (p.t - meanT) ** 2;
    stx += (p.t - meanT) * (p.x - meanX);
    sty += (p.t - meanT) * (p.y - meanY);
  }
  return stt > 0 ? Math.hypot(stx / stt, sty / stt) : undefined;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Distance from a line (in its space's units) within which a point's side is not trusted: detector jitter. */
const LINE_DEADBAND = { ground: 0.05, image: 2 };

/**
 * Scene analysis over time, shared by video files and live streams: each sampled frame's
 * detections go through a ByteTrack tracker; tracks get ground paths and smoothed speeds; every
 * rule runs in order, and frame rules report when their condition begins (an object entering a
 * zone's watch, a pair coming close, a count rising above its limit), not on every frame.
 */
export class MotionSession {
  private readonly tracker: ByteTracker;
  private readonly tracks = new Map<number, TrackState>();
  private readonly events: SceneEvent[] = [];
  private eventsTruncated = false;
  /** Per frame rule: the keys (track ids, pairs, 'count') whose condition holds now. */
  private readonly active = new Map<number, Set<string>>();
  private lastT?: number;
  private frames = 0;
  private readonly retainEnded: boolean;
  private readonly maxPathPoints: number;
  private readonly maxEvents: number;

  constructor(private readonly camera: CompiledCamera, private readonly options: MotionSessionOptions) {
    this.tracker = new ByteTracker({
      highConf: camera.conf,
      lowConf: camera.tracking.lowConf,
      matchThreshold: camera.tracking.matchThreshold,
      maxLostFrames: Math.max(1, camera.tracking.lostS * options.fps),
    });
    this.retainEnded = options.retainEnded ?? true;
    this.maxPathPoints = options.maxPathPoints ?? 100_000;
    this.maxEvents = options.maxEvents ?? 10_000;
  }

  /** Analyses one sampled frame, `t` seconds from the start, given its detections (down to the tracker's low threshold). */
  step(t: number, detections: readonly Detected[]): MotionStep {
    const dt = this.lastT === undefined ? 1 : Math.max((t - this.lastT) * this.options.fps, 1e-3);
    this.lastT = t;
    this.frames++;
    const tracked = this.tracker.update(detections.map((d) => ({ box: d.box, score: d.confidence, label: d.label })), dt);
    const located = tracked.map((tr) => locate(this.camera, { ...detections[tr.detection], track_id: tr.id }));
    const previousZones = new Map<number, Set<string> | undefined>();
    for (const l of located) {
      const state = this.observe(l, t);
      previousZones.set(state.id, state.zones);
    }

    const events: SceneEvent[] = [];
    for (const rule of this.camera.rules) events.push(...this.evaluate(rule, located, previousZones, t));
    for (const l of located) this.tracks.get(l.object.track_id!)!.zones = new Set(l.zones);
    this.record(events);
    if (!this.retainEnded) this.forgetEnded(t);

    const objects = located.map((l) => {
      const speed = this.tracks.get(l.object.track_id!)!.speed;
      return { ...l.object, track_id: l.object.track_id!, ...(speed !== undefined && { speed_mps: round2(speed) }) };
    });
    return { t: round3(t), objects, events, risk_level: riskOf(events) };
  }

  private observe(l: Located, t: number): TrackState {
    const id = l.object.track_id!;
    let state = this.tracks.get(id);
    if (!state) {
      state = { id, label: l.object.label, firstT: t, lastT: t, frames: 0, path: [], speeds: [], visited: new Set(), lineSide: new Map(), speeding: new Set() };
      this.tracks.set(id, state);
    }
    state.lastT = t;
    state.frames++;
    for (const zone of l.zones) state.visited.add(zone);
    if (l.ground) {
      state.path.push({ t: round3(t), x: l.ground[0], y: l.ground[1] });
      if (state.path.length > this.maxPathPoints) state.path.shift();
      // At least three frame intervals, so a low sampling rate still fits over three points.
      const window = Math.max(this.camera.tracking.speedWindowS, 2 / this.options.fps);
      state.speed = windowSpeed(state.path, t, window);
      if (state.speed !== undefined) state.speeds.push(state.speed);
    }
    return state;
  }

  private evaluate(rule: CompiledRule, located: readonly Located[], previousZones: Map<number, Set<string> | undefined>, t: number): SceneEvent[] {
    const trackOf = (i: number) => this.tracks.get(located[i].object.track_id!)!;
    const one = (i: number) => `${counted(located[i].object.label, 1)} (track ${located[i].object.track_id})`;
    const single = (i: number, message: string, extra: Partial<SceneEvent> = {}) => ({ ...eventOf(rule, { objects: [i], message }, located, t), ...extra });
    switch (rule.type) {
      case 'in_zone':
      case 'count':
      case 'proximity':
        return this.frameRule(rule, located, t);
      case 'speed':
        return located.flatMap((l, i) => {
          const state = trackOf(i);
          if (rule.classes && !rule.classes.has(l.object.label)) return [];
          if (state.speed === undefined || state.speed <= rule.above! || state.speeding.has(rule.index)) return [];
          state.speeding.add(rule.index);
          return [single(i, `${one(i)} at ${oneDecimal(state.speed)} m/s`, { speed_mps: round2(state.speed) })];
        });
      case 'zone_entry':
      case 'zone_exit':
        return located.flatMap((l, i) => {
          if (rule.classes && !rule.classes.has(l.object.label)) return [];
          const before = previousZones.get(l.object.track_id!);
          if (!before) return []; // first sighting: nothing to compare with
          const wasIn = before.has(rule.zone!);
          const isIn = l.zones.includes(rule.zone!);
          if (rule.type === 'zone_entry' && !wasIn && isIn) return [single(i, `${one(i)} entered zone ${rule.zone}`)];
          if (rule.type === 'zone_exit' && wasIn && !isIn) return [single(i, `${one(i)} left zone ${rule.zone}`)];
          return [];
        });
      case 'line_crossing':
        return located.flatMap((l, i) => {
          if (rule.classes && !rule.classes.has(l.object.label)) return [];
          const point = rule.space === 'image' ? l.image : l.ground;
          if (!point) return [];
          const [a, b] = rule.line!;
          const signed = cross(a, b, point) / distance(a, b);
          if (Math.abs(signed) < LINE_DEADBAND[rule.space!]) return [];
          const side = Math.sign(signed);
          const state = trackOf(i);
          const before = state.lineSide.get(rule.index);
          state.lineSide.set(rule.index, { side, point });
          if (!before || before.side === side || !segmentsIntersect(before.point, point, a, b)) return [];
          return [single(i, `${one(i)} crossed line ${rule.name}`)];
        });
    }
  }

  /** A frame rule on a tracked frame: an event only for what newly meets it (objects, pairs, the count). */
  private frameRule(rule: CompiledRule, located: readonly Located[], t: number): SceneEvent[] {
    const before = this.active.get(rule.index) ?? new Set<string>();
    const now = new Set<string>();
    const events: SceneEvent[] = [];
    const id = (i: number) => located[i].object.track_id!;
    for (const match of matchFrameRule(rule, located)) {
      if (rule.type === 'in_zone') {
        match.objects.forEach((i) => now.add(String(id(i))));
        const fresh = match.objects.filter((i) => !before.has(String(id(i))));
        const message = inZoneMessage(fresh.map((i) => located[i].object.label), rule.zone!);
        if (fresh.length) events.push(eventOf(rule, { objects: fresh, message }, located, t));
      } else if (rule.type === 'proximity') {
        const key = match.objects.map(id).sort((x, y) => x - y).join(':');
        now.add(key);
        if (!before.has(key)) events.push(eventOf(rule, match, located, t));
      } else {
        now.add('count');
        if (!before.has('count')) events.push(eventOf(rule, match, located, t));
      }
    }
    this.active.set(rule.index, now);
    return events;
  }

  private record(events: readonly SceneEvent[]): void {
    for (const event of events) {
      if (this.events.length < this.maxEvents) this.events.push(event);
      else this.eventsTruncated = true;
    }
  }

  /** Live streams: drop tracks unseen for longer than the tracker keeps them. */
  private forgetEnded(t: number): void {
    for (const [id, state] of this.tracks) if (t - state.lastT > this.camera.tracking.lostS + 1) this.tracks.delete(id);
  }

  /** Tracks, events, risk, priority and a description of everything seen so far. */
  summary(): MotionSummary {
    const tracks = [...this.tracks.values()].map((s): TrackSummary => ({
      id: s.id,
      label: s.label,
      first_t: round3(s.firstT),
      last_t: round3(s.lastT),
      frames: s.frames,
      ...(this.camera.homography && { path: s.path.map((p) => ({ t: p.t, x: round2(p.x), y: round2(p.y) })) }),
      ...(s.speeds.length && { speed_mps: round2(median(s.speeds)), max_speed_mps: round2(Math.max(...s.speeds)) }),
      zones: [...s.visited],
    }));
    const risk = riskOf(this.events);
    const duration = this.lastT ?? 0;
    return {
      frames: this.frames,
      duration_s: round3(duration + (this.frames ? 1 / this.options.fps : 0)),
      risk_level: risk,
      priority: priorityOf(risk, this.camera.priorities),
      tracks,
      events: this.events,
      ...(this.eventsTruncated && { events_truncated: true }),
      description: describeVideo(tracks.map((tr) => tr.label), duration + (this.frames ? 1 / this.options.fps : 0), this.events),
    };
  }
}
