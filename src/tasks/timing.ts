import { round2 } from '../numbers.js';
import type { StageTimings } from './types.js';

export type Stage = 'decode' | 'preprocess' | 'inference' | 'postprocess';

/**
 * The stage clock of every task: `lap(stage)` charges the time since the previous lap (or since
 * the clock started or was restarted) to that stage. Stages add up, so a task that runs a stage
 * once per face or per text line laps into it each time. `timings()` reports each stage in ms to
 * 0.01, rounded once, after the sum.
 */
export class StageTimer {
  private readonly ms: StageTimings;
  private last = performance.now();

  /** Starts now, from `start` (a first pass's timings) or zeros. */
  constructor(start?: StageTimings) {
    this.ms = { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0, ...start };
  }

  /** Closes the span since the previous lap and charges it to `stage`; returns its ms (unrounded). */
  lap(stage: Stage): number {
    const now = performance.now();
    const spent = now - this.last;
    this.ms[`${stage}_ms`] += spent;
    this.last = now;
    return spent;
  }

  /** Starts a new span without charging the time since the previous lap to any stage. */
  restart(): void {
    this.last = performance.now();
  }

  /** Charges time measured elsewhere (a library's own clock) to `stage`. */
  add(stage: Stage, ms: number): void {
    this.ms[`${stage}_ms`] += ms;
  }

  /** Each stage so far, in ms to 0.01. */
  timings(): StageTimings {
    return { decode_ms: round2(this.ms.decode_ms), preprocess_ms: round2(this.ms.preprocess_ms), inference_ms: round2(this.ms.inference_ms), postprocess_ms: round2(this.ms.postprocess_ms) };
  }
}
