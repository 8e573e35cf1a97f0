import { afterEach, describe, expect, it, vi } from 'vitest';
import { StageTimer } from './timing.js';

/** A clock that reads the given times, one per call. */
function clockReading(...times: number[]) {
  const spy = vi.spyOn(performance, 'now');
  for (const t of times) spy.mockReturnValueOnce(t);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('StageTimer', () => {
  it('charges each lap to its stage and rounds once, to 0.01 ms, after summing', () => {
    clockReading(0, 1.004, 2.008, 10.5, 10.5, 11.123);
    const clock = new StageTimer();
    expect(clock.lap('decode')).toBeCloseTo(1.004);
    clock.lap('preprocess');
    clock.lap('inference');
    clock.restart();
    clock.lap('preprocess');
    // 1.004 + 0.623 = 1.627 → 1.63; rounding each lap first would give 1.00 + 0.62.
    expect(clock.timings()).toEqual({ decode_ms: 1, preprocess_ms: 1.63, inference_ms: 8.49, postprocess_ms: 0 });
  });

  it('starts from earlier timings and takes time measured elsewhere, keeping the field order', () => {
    clockReading(100, 102.5);
    const clock = new StageTimer({ decode_ms: 1.25, preprocess_ms: 2, inference_ms: 3, postprocess_ms: 0.5 });
    clock.add('inference', 4.333);
    clock.lap('postprocess');
    const timings = clock.timings();
    expect(timings).toEqual({ decode_ms: 1.25, preprocess_ms: 2, inference_ms: 7.33, postprocess_ms: 3 });
    expect(Object.keys(timings)).toEqual(['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms']);
  });
});
