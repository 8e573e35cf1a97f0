import { describe, expect, it } from 'vitest';
import { assign } from './assignment.js';
import { ByteTracker, type TrackerDetection } from './byte-tracker.js';
import { kalman } from './kalman.js';

const box = (cx: number, cy: number, w = 40, h = 100) => ({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
const person = (cx: number, cy: number, score = 0.9): TrackerDetection => ({ box: box(cx, cy), score, label: 'person' });

describe('assign (gated Hungarian)', () => {
  it('finds the least-cost assignment, not the greedy one', () => {
    // Greedy would take (0,0) at 0.1 and leave row 1 with 0.9; the optimum is 0.2 + 0.3.
    const result = assign([[0.1, 0.2], [0.3, 0.9]], 2, 1);
    expect(result.matches.sort()).toEqual([[0, 1], [1, 0]]);
  });

  it('leaves pairs above the limit unmatched, and handles rectangles and empties', () => {
    const result = assign([[0.95, 0.2, 0.7], [0.85, 0.9, 0.99]], 3, 0.8);
    expect(result.matches).toEqual([[0, 1]]);
    expect(result.unmatchedRows).toEqual([1]);
    expect(result.unmatchedColumns).toEqual([0, 2]);
    expect(assign([], 2, 0.8)).toEqual({ matches: [], unmatchedRows: [], unmatchedColumns: [0, 1] });
    expect(assign([[], []], 0, 0.8).unmatchedRows).toEqual([0, 1]);
  });
});

describe('Kalman filter (constant velocity)', () => {
  it('learns the velocity of a steadily moving box and predicts ahead', () => {
    let state = kalman.initiate([100, 200, 0.4, 100]);
    for (let k = 1; k <= 20; k++) {
      state = kalman.predict(state);
      state = kalman.update(state, [100 + 8 * k, 200, 0.4, 100]);
    }
    expect(state.mean[4]).toBeCloseTo(8, 0);
    const ahead = kalman.predict(state, 3);
    expect(ahead.mean[0]).toBeCloseTo(260 + 24, -0.5);
  });
});

describe('ByteTracker', () => {
  it('keeps ids for objects moving side by side', () => {
    const tracker = new ByteTracker();
    const seen = new Map<number, number[]>();
    for (let k = 0; k < 30; k++) {
      const out = tracker.update([person(100 + 10 * k, 200), person(100 + 10 * k, 400)]);
      for (const t of out) seen.set(t.id, [...(seen.get(t.id) ?? []), t.detection]);
    }
    expect([...seen.keys()]).toEqual([1, 2]);
    // Each id always took the same detection (row), in every frame.
    expect(seen.get(1)).toEqual(new Array(30).fill(0));
    expect(seen.get(2)).toEqual(new Array(30).fill(1));
  });

  it('keeps an object whose score dips below the high threshold (second pass)', () => {
    const tracker = new ByteTracker({ highConf: 0.5, lowConf: 0.1 });
    const ids = new Set<number>();
    for (let k = 0; k < 20; k++) {
      const score = k >= 8 && k < 14 ? 0.2 : 0.9;
      for (const t of tracker.update([person(200 + 12 * k, 300, score)])) ids.add(t.id);
    }
    expect([...ids]).toEqual([1]);
  });

  it('finds a track again after it was missed for a few frames, where the filter predicted it', () => {
    const tracker = new ByteTracker();
    const perFrame: number[][] = [];
    for (let k = 0; k < 25; k++) {
      const hidden = k >= 10 && k < 15;
      perFrame.push(tracker.update(hidden ? [] : [person(100 + 15 * k, 300)]).map((t) => t.id));
    }
    expect(perFrame[9]).toEqual([1]);
    expect(perFrame[12]).toEqual([]);
    expect(perFrame[15]).toEqual([1]);
    expect(perFrame[24]).toEqual([1]);
  });

  it('gives no id to a one-frame false positive, and confirms new objects on their second frame', () => {
    const tracker = new ByteTracker();
    tracker.update([person(100, 100)]);
    const withGhost = tracker.update([person(100, 100), { box: box(500, 500), score: 0.95, label: 'dog' }]);
    expect(withGhost.map((t) => t.id)).toEqual([1]);
    expect(tracker.update([person(100, 100)]).map((t) => t.id)).toEqual([1]);
    tracker.update([person(100, 100), person(600, 300)]);
    const confirmed = tracker.update([person(100, 100), person(600, 300)]);
    expect(confirmed.map((t) => t.id).sort()).toEqual([1, 2]);
  });

  it('never matches across labels', () => {
    const tracker = new ByteTracker();
    tracker.update([person(100, 100)]);
    const out = tracker.update([{ box: box(100, 100), score: 0.9, label: 'dog' }]);
    expect(out).toEqual([]);
    const next = tracker.update([{ box: box(100, 100), score: 0.9, label: 'dog' }]);
    expect(next).toMatchObject([{ id: 2, label: 'dog' }]);
  });

  it('handles dropped frames through dt', () => {
    const tracker = new ByteTracker();
    for (let k = 0; k < 10; k++) tracker.update([person(100 + 20 * k, 300)]);
    // Three frames' worth of motion in one step: without dt the prediction would lag 40 px.
    expect(tracker.update([person(100 + 20 * 12, 300)], 3).map((t) => t.id)).toEqual([1]);
  });
});
