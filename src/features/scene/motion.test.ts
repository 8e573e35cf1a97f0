import { describe, expect, it } from 'vitest';
import { compileCamera } from './config.js';
import { MotionSession, windowSpeed } from './motion.js';
import type { Detected } from './rules.js';

/** 100 px = 1 m. A restricted strip from x = 5 m to 10 m, a line at x = 12 m, a parked car at (13.5, 6). */
const camera = compileCamera('yard', {
  homography: { matrix: [[0.01, 0, 0], [0, 0.01, 0], [0, 0, 1]] },
  zones: [{ name: 'restricted', polygon: [[5, 0], [10, 0], [10, 10], [5, 10]], risk: 'high' }],
  rules: [
    { type: 'speed', above: 1.5, risk: 'low', classes: ['person'] },
    { type: 'zone_entry', zone: 'restricted' },
    { type: 'in_zone', zone: 'restricted' },
    { type: 'zone_exit', zone: 'restricted', risk: 'low' },
    { type: 'line_crossing', line: [[12, 0], [12, 10]], risk: 'medium', name: 'gate' },
    { type: 'proximity', classes: ['person'], near: ['car'], within: 2, risk: 'critical' },
  ],
});

/** Feet at ground (x, y) metres, with ±1 px of deterministic jitter as a detector gives. */
function at(label: string, x: number, y: number, k: number): Detected {
  const j = ((k * 7919) % 3) - 1;
  return { label, confidence: 0.9, box: { x1: x * 100 - 25 + j, y1: y * 100 - 170, x2: x * 100 + 25 + j, y2: y * 100 + j } };
}

describe('MotionSession', () => {
  it('tracks a walker at 2 m/s and reports each motion rule once, in rule order, with times', () => {
    const session = new MotionSession(camera, { fps: 10 });
    const steps = [];
    for (let k = 0; k <= 60; k++) {
      const t = k / 10;
      steps.push(session.step(t, [at('person', 1 + 2 * t, 5, k), at('car', 13.5, 6, k)]));
    }
    expect(new Set(steps.flatMap((s) => s.objects.map((o) => `${o.track_id}:${o.label}`)))).toEqual(new Set(['1:person', '2:car']));
    const summary = session.summary();
    const walker = summary.tracks.find((t) => t.label === 'person')!;
    expect(walker.speed_mps!).toBeGreaterThan(1.9);
    expect(walker.speed_mps!).toBeLessThan(2.1);
    expect(walker.first_t).toBe(0);
    expect(walker.last_t).toBe(6);
    expect(walker.frames).toBe(61);
    expect(walker.path![20]).toEqual({ t: 2, x: expect.closeTo(5, 1), y: expect.closeTo(5, 1) });
    expect(walker.zones).toEqual(['restricted']);
    expect(summary.tracks.find((t) => t.label === 'car')!.speed_mps!).toBeLessThan(0.1);

    expect(summary.events.map((e) => [e.rule, e.t, e.track_ids])).toEqual([
      ['speed_0', 0.5, [1]],
      ['zone_entry_1', 2, [1]],
      ['in_zone_2', 2, [1]],
      ['zone_exit_3', 4.6, [1]],
      ['proximity_5', 5.4, [1, 2]],
      ['gate', 5.6, [1]],
    ]);
    expect(summary.events.map((e) => e.message)).toEqual([
      'a person (track 1) at 2.0 m/s',
      'a person (track 1) entered zone restricted',
      'a person in zone restricted',
      'a person (track 1) left zone restricted',
      'a person 2.0 m from a car',
      'a person (track 1) crossed line gate',
    ]);
    expect(summary.risk_level).toBe('critical');
    expect(summary.priority).toBe('P1');
    expect(summary.frames).toBe(61);
    expect(summary.description).toMatch(/^A person and a car tracked over 6\.1 s: a person \(track 1\) at 2\.0 m\/s; /);
    // The step that saw an event carries it; the frames between carry none.
    expect(steps[20].events.map((e) => e.rule)).toEqual(['zone_entry_1', 'in_zone_2']);
    expect(steps[21].events).toEqual([]);
    expect(steps[30].objects.find((o) => o.label === 'person')).toMatchObject({ zone: 'restricted', speed_mps: expect.closeTo(2, 0.5) });
  });

  it('reports an object again when it re-enters a zone, not while it stays', () => {
    const session = new MotionSession(camera, { fps: 10 });
    // Out along x from 4 m to 12.6 m (past the line, slowing down to turn), then back to 8.3 m.
    const xs = Array.from({ length: 91 }, (_, k) => 8.3 - 4.3 * Math.cos((Math.PI * k) / 60));
    const rules: string[] = [];
    xs.forEach((x, k) => rules.push(...session.step(k / 10, [at('person', x, 2, k)]).events.map((e) => e.rule)));
    expect(new Set(session.summary().tracks.map((t) => t.id))).toEqual(new Set([1]));
    expect(rules.filter((r) => r === 'in_zone_2')).toHaveLength(2);
    expect(rules.filter((r) => r === 'zone_entry_1')).toHaveLength(2);
    expect(rules.filter((r) => r === 'gate')).toHaveLength(2); // out past the line and back
  });

  it('fits speed by least squares over the window', () => {
    const path = Array.from({ length: 11 }, (_, k) => ({ t: k / 10, x: 3 * (k / 10), y: 4 * (k / 10) }));
    expect(windowSpeed(path, 1, 1)).toBeCloseTo(5, 9);
    expect(windowSpeed(path.slice(0, 2), 0.1, 1)).toBeUndefined();
  });
});
