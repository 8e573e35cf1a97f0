import { iou } from '../geometry.js';
import type { Box } from '../letterbox.js';
import { assign } from './assignment.js';
import { boxToXyah, kalman, xyahToBox, type KalmanState } from './kalman.js';

/** One detection handed to the tracker. */
export interface TrackerDetection {
  box: Box;
  score: number;
  label: string;
}

export interface TrackerOptions {
  /** Detections at or above this continue tracks first and may start new ones. @defaultValue 0.5 */
  highConf: number;
  /** Detections from here up to `highConf` only continue existing tracks (ByteTrack's second pass). @defaultValue 0.1 */
  lowConf: number;
  /** Largest cost (1 − IoU·score) of a match in the first pass. @defaultValue 0.8 */
  matchThreshold: number;
  /** Frame intervals a lost track is kept, to be found again after an occlusion. @defaultValue 30 */
  maxLostFrames: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { highConf: 0.5, lowConf: 0.1, matchThreshold: 0.8, maxLostFrames: 30 };

/** A confirmed track as seen in the current frame. */
export interface TrackedObject {
  id: number;
  label: string;
  /** The filtered box (Kalman state after this frame's measurement). */
  box: Box;
  score: number;
  /** Index of the detection matched to this track in this frame's input. */
  detection: number;
}

type State = 'tracked' | 'lost' | 'removed';

class Track {
  /** Public id, given when the track is confirmed; 0 until then. */
  id = 0;
  state: State = 'tracked';
  confirmed = false;
  matchedDetection = -1;
  /** Frame time (in frame intervals) of the last match. */
  lastSeen: number;
  hits = 1;

  constructor(public kf: KalmanState, public score: number, readonly label: string, readonly born: number) {
    this.lastSeen = born;
  }

  get box(): Box {
    return xyahToBox(this.kf.mean);
  }

  /** Corrects the track with the detection matched to it in this frame. */
  match(detection: TrackerDetection, index: number, now: number): void {
    this.kf = kalman.update(this.kf, boxToXyah(detection.box));
    this.score = detection.score;
    this.state = 'tracked';
    this.matchedDetection = index;
    this.lastSeen = now;
    this.hits++;
  }
}

const FORBIDDEN = Number.POSITIVE_INFINITY;

/**
 * A ByteTrack multi-object tracker: every frame, tracks are moved ahead by a constant-velocity
 * Kalman filter and matched to detections by IoU in two passes — confident detections first, then
 * the low-confidence ones to the tracks still unmatched — so an object whose score dips (occlusion,
 * blur) keeps its id. Matches never cross labels. New tracks are confirmed on their second match
 * (or at once in the first frame), so one spurious detection never gets an id.
 */
export class ByteTracker {
  private tracks: Track[] = [];
  private now = 0;
  private frames = 0;
  private nextId = 1;
  private readonly options: TrackerOptions;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  private costs(tracks: Track[], detections: Array<{ detection: TrackerDetection }>, fuseScore: boolean): number[][] {
    return tracks.map((track) => {
      const box = track.box;
      return detections.map(({ detection }) => {
        if (detection.label !== track.label) return FORBIDDEN;
        const overlap = iou(box, detection.box);
        return 1 - (fuseScore ? overlap * detection.score : overlap);
      });
    });
  }

  /**
   * Takes one frame's detections, `dt` frame intervals after the previous frame, and returns the
   * confirmed tracks matched in this frame.
   */
  update(detections: readonly TrackerDetection[], dt = 1): TrackedObject[] {
    const { highConf, lowConf, matchThreshold, maxLostFrames } = this.options;
    this.frames++;
    this.now += dt;
    const indexed = detections.map((detection, index) => ({ detection, index }));
    const high = indexed.filter((d) => d.detection.score >= highConf);
    const low = indexed.filter((d) => d.detection.score >= lowConf && d.detection.score < highConf);

    for (const track of this.tracks) {
      track.matchedDetection = -1;
      track.kf = kalman.predict(track.kf, dt);
    }
    const unconfirmed = this.tracks.filter((t) => !t.confirmed && t.state === 'tracked');
    const pool = this.tracks.filter((t) => t.confirmed && t.state !== 'removed');

    // First pass: confirmed and lost tracks against confident detections.
    const first = assign(this.costs(pool, high, true), high.length, matchThreshold);
    for (const [t, d] of first.matches) pool[t].match(high[d].detection, high[d].index, this.now);
    const remainingHigh = first.unmatchedColumns.map((d) => high[d]);

    // Second pass: tracks still unmatched (not lost ones) against low-confidence detections.
    const stillTracked = first.unmatchedRows.map((t) => pool[t]).filter((t) => t.state === 'tracked');
    const second = assign(this.costs(stillTracked, low, false), low.length, 0.5);
    for (const [t, d] of second.matches) stillTracked[t].match(low[d].detection, low[d].index, this.now);
    for (const t of second.unmatchedRows) stillTracked[t].state = 'lost';

    // Tentative tracks against the confident detections nobody took; unmatched ones are dropped.
    const third = assign(this.costs(unconfirmed, remainingHigh, true), remainingHigh.length, 0.7);
    for (const [t, d] of third.matches) {
      unconfirmed[t].match(remainingHigh[d].detection, remainingHigh[d].index, this.now);
      unconfirmed[t].confirmed = true;
      unconfirmed[t].id = this.nextId++;
    }
    for (const t of third.unmatchedRows) unconfirmed[t].state = 'removed';

    for (const d of third.unmatchedColumns) {
      const { detection, index } = remainingHigh[d];
      const track = new Track(kalman.initiate(boxToXyah(detection.box)), detection.score, detection.label, this.now);
      track.matchedDetection = index;
      if (this.frames === 1) {
        track.confirmed = true;
        track.id = this.nextId++;
      }
      this.tracks.push(track);
    }

    for (const track of this.tracks) {
      if (track.state === 'lost' && this.now - track.lastSeen > maxLostFrames) track.state = 'removed';
    }
    this.removeDuplicates();
    this.tracks = this.tracks.filter((t) => t.state !== 'removed');
    return this.tracks
      .filter((t) => t.confirmed && t.state === 'tracked' && t.matchedDetection >= 0)
      .map((t) => ({ id: t.id, label: t.label, box: t.box, score: t.score, detection: t.matchedDetection }));
  }

  /** A lost track that overlaps a tracked one almost entirely is the same object twice: the younger goes. */
  private removeDuplicates(): void {
    const tracked = this.tracks.filter((t) => t.confirmed && t.state === 'tracked');
    const lost = this.tracks.filter((t) => t.state === 'lost');
    for (const a of tracked) {
      for (const b of lost) {
        if (a.label !== b.label || iou(a.box, b.box) <= 0.85) continue;
        const ageA = a.lastSeen - a.born;
        const ageB = b.lastSeen - b.born;
        if (ageA > ageB) b.state = 'removed';
        else a.state = 'removed';
      }
    }
  }
}
