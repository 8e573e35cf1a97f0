/**
 * The server's own account of where a request's time went: every Argus result carries `timings`
 * (decode, preprocess, inference, postprocess and queue, measured in the worker and the pool, and
 * total, measured by the service). What total does not explain is the HTTP process's own share.
 */
import { median } from './stats.js';

/** The `timings` object of an Argus result. */
export interface ResultTimings {
  decode_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  postprocess_ms: number;
  queue_ms: number;
  total_ms: number;
}

/** Medians over the collected responses, in ms. */
export interface TimingBreakdown {
  responses: number;
  decode: number;
  preprocess: number;
  inference: number;
  postprocess: number;
  queue: number;
  total: number;
  /**
   * total − (queue + decode + preprocess + inference + postprocess), per response: validation and
   * header probing in the HTTP process, and the image's and result's trips over IPC.
   */
  apiOverhead: number;
}

const STAGES = ['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'queue_ms', 'total_ms'] as const;

function isTimings(value: unknown): value is ResultTimings {
  return typeof value === 'object' && value !== null && STAGES.every((k) => typeof (value as Record<string, unknown>)[k] === 'number');
}

/** Collects `timings` from response bodies; `add` fits autocannon's body callback. */
export class TimingsCollector {
  private readonly samples: ResultTimings[] = [];
  /** Bodies that were not JSON results with timings (counted, so a broken response is not invisible). */
  malformed = 0;

  readonly add = (body: string): void => {
    try {
      const timings = (JSON.parse(body) as { timings?: unknown }).timings;
      if (isTimings(timings)) this.samples.push(timings);
      else this.malformed++;
    } catch {
      this.malformed++;
    }
  };

  breakdown(): TimingBreakdown {
    const p50 = (pick: (t: ResultTimings) => number) => median(this.samples.map(pick));
    return {
      responses: this.samples.length,
      decode: p50((t) => t.decode_ms),
      preprocess: p50((t) => t.preprocess_ms),
      inference: p50((t) => t.inference_ms),
      postprocess: p50((t) => t.postprocess_ms),
      queue: p50((t) => t.queue_ms),
      total: p50((t) => t.total_ms),
      apiOverhead: p50((t) => t.total_ms - (t.queue_ms + t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms)),
    };
  }
}
