/** One progress report of a transfer; the CLI renders it, the server may log it. */
export interface PullProgress {
  /** What is moving: the alias, or `alias: file` when a model has several files. */
  label: string;
  /** Bytes of the file on disk so far, including any resumed part. */
  bytesDone: number;
  /** Size of the whole file, when the server said. */
  bytesTotal?: number;
  /** Bytes per second over the last few seconds (the whole transfer once done). */
  rate: number;
  /** Seconds left at the current rate, when the size is known and bytes are moving. */
  etaS?: number;
  /** Bytes that were already on disk from an interrupted pull. */
  resumedFrom: number;
  done: boolean;
}

export type ProgressListener = (progress: PullProgress) => void;

export interface MeterOptions {
  label: string;
  total?: number;
  /** Bytes already on disk when this transfer starts. @defaultValue 0 */
  startBytes?: number;
  /** Fewest milliseconds between two reports (the final one is always sent). @defaultValue 100 */
  everyMs?: number;
  /** Window over which the rate is measured. @defaultValue 5000 */
  windowMs?: number;
  now?: () => number;
}

/**
 * Counts the bytes of one transfer and reports rate and ETA. The rate is taken over a sliding
 * window rather than since the start, so a stall or a speed-up shows within seconds instead of
 * being averaged away over a long download.
 */
export class ProgressMeter {
  private done: number;
  private readonly started: number;
  private readonly startBytes: number;
  private lastReport = -Infinity;
  private readonly samples: Array<[time: number, bytes: number]> = [];
  private readonly now: () => number;

  constructor(private readonly options: MeterOptions, private readonly listener?: ProgressListener) {
    this.now = options.now ?? Date.now;
    this.startBytes = options.startBytes ?? 0;
    this.done = this.startBytes;
    this.started = this.now();
    this.samples.push([this.started, this.done]);
  }

  get bytesDone(): number {
    return this.done;
  }

  /** Counts `n` more bytes and reports if the last report is old enough. */
  add(n: number): void {
    this.done += n;
    const t = this.now();
    this.samples.push([t, this.done]);
    const windowMs = this.options.windowMs ?? 5000;
    while (this.samples.length > 2 && t - this.samples[1][0] >= windowMs) this.samples.shift();
    if (t - this.lastReport >= (this.options.everyMs ?? 100)) {
      this.lastReport = t;
      this.listener?.(this.snapshot(false));
    }
  }

  /** Sends the final report. */
  finish(): PullProgress {
    const final = this.snapshot(true);
    this.listener?.(final);
    return final;
  }

  snapshot(done: boolean): PullProgress {
    const t = this.now();
    let rate: number;
    if (done) {
      rate = rateOf(this.done - this.startBytes, t - this.started);
    } else {
      const [t0, b0] = this.samples[0];
      rate = rateOf(this.done - b0, t - t0);
    }
    const total = this.options.total;
    const etaS = !done && total !== undefined && rate > 0 ? Math.max(0, (total - this.done) / rate) : undefined;
    return { label: this.options.label, bytesDone: this.done, bytesTotal: total, rate, etaS, resumedFrom: this.startBytes, done };
  }
}

function rateOf(bytes: number, ms: number): number {
  // Under a millisecond (a loopback transfer of a small file) the rate is meaningless; say 0
  // rather than Infinity so renderers need no special case.
  return ms >= 1 ? (bytes * 1000) / ms : 0;
}
