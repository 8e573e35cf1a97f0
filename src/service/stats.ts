/**
 * Request statistics for the last few minutes, in memory: per second, how many requests each
 * route answered, how many failed, and a latency histogram from which percentiles are read. Fed
 * one sample per response (the HTTP layer's onResponse hook); read as a snapshot (GET
 * /v1/system/stats) or one point per second (the dashboard's live charts). Memory is fixed: a
 * ring of `windowS` slots, each a map of route → counts + a log-scale histogram.
 *
 * The interface is deliberately three calls — `record`, `snapshot`, `onSecond` — so a metrics
 * exporter (Prometheus) can be fed from the same samples without touching the HTTP layer.
 */

import { round2 } from '../numbers.js';

/** One answered request. */
export interface RequestSample {
  /** The route's pattern (`/v1/jobs/:id`), not the raw URL, so ids do not explode the key space. */
  route: string;
  method: string;
  status: number;
  durationMs: number;
}

/** Requests answered in one second (or over a window), with latency percentiles in ms. */
export interface StatsPoint {
  requests: number;
  /** Responses with status ≥ 500. */
  errors: number;
  /** Responses with status 400–499. */
  rejected: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** One second of the series. */
export type SeriesPoint = StatsPoint & { t: number };

export interface RouteStats extends StatsPoint {
  route: string;
  method: string;
}

export interface StatsSnapshot {
  window_s: number;
  /** Unix ms when the snapshot was taken. */
  now: number;
  /** The window as a whole. */
  totals: StatsPoint;
  /** One point per second, oldest first; the current (incomplete) second is left out. */
  series: SeriesPoint[];
  /** Per route over the window, busiest first. */
  routes: RouteStats[];
}

export interface StatsOptions {
  /** Seconds kept. @defaultValue 300 */
  windowS?: number;
  /** Clock, for tests. @defaultValue Date.now */
  now?: () => number;
}

// Latency buckets grow by 15% from 0.1 ms: 120 of them reach ~1.9 million ms (31 min). Reading a
// percentile interpolates inside its bucket, so the error is under 15% (better in practice).
const BUCKET_BASE = 0.1;
const BUCKET_GROWTH = 1.15;
const BUCKETS = 120;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);

const bucketOf = (ms: number) => (ms <= BUCKET_BASE ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / BUCKET_BASE) / LOG_GROWTH) + 1));
const bucketLow = (i: number) => (i === 0 ? 0 : BUCKET_BASE * BUCKET_GROWTH ** (i - 1));
const bucketHigh = (i: number) => BUCKET_BASE * BUCKET_GROWTH ** i;

interface Counter {
  requests: number;
  errors: number;
  rejected: number;
  histogram: Uint32Array;
}

const newCounter = (): Counter => ({ requests: 0, errors: 0, rejected: 0, histogram: new Uint32Array(BUCKETS) });

function add(into: Counter, from: Counter): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.rejected += from.rejected;
  for (let i = 0; i < BUCKETS; i++) into.histogram[i] += from.histogram[i];
}

function percentile(histogram: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const n = histogram[i];
    if (n > 0 && seen + n >= rank) {
      const low = bucketLow(i);
      return round2(low + (bucketHigh(i) - low) * Math.min(1, Math.max(0, (rank - seen) / n)));
    }
    seen += n;
  }
  return null;
}

function point(counter: Counter): StatsPoint {
  return {
    requests: counter.requests,
    errors: counter.errors,
    rejected: counter.rejected,
    p50_ms: percentile(counter.histogram, counter.requests, 0.5),
    p95_ms: percentile(counter.histogram, counter.requests, 0.95),
    p99_ms: percentile(counter.histogram, counter.requests, 0.99),
  };
}

interface Slot {
  second: number;
  routes: Map<string, Counter>;
}

/** The in-memory statistics collector (see the file comment). */
export class StatsCollector {
  private readonly windowS: number;
  private readonly now: () => number;
  private readonly slots: Slot[];
  private readonly listeners = new Set<(point: SeriesPoint) => void>();
  private timer?: NodeJS.Timeout;

  constructor(options: StatsOptions = {}) {
    this.windowS = options.windowS ?? 300;
    this.now = options.now ?? Date.now;
    this.slots = Array.from({ length: this.windowS + 1 }, () => ({ second: -1, routes: new Map() }));
  }

  /** Counts one answered request. */
  record(sample: RequestSample): void {
    const second = Math.floor(this.now() / 1000);
    const slot = this.slots[second % this.slots.length];
    if (slot.second !== second) {
      slot.second = second;
      slot.routes.clear();
    }
    const key = `${sample.method} ${sample.route}`;
    let counter = slot.routes.get(key);
    if (!counter) slot.routes.set(key, (counter = newCounter()));
    counter.requests++;
    if (sample.status >= 500) counter.errors++;
    else if (sample.status >= 400) counter.rejected++;
    counter.histogram[bucketOf(Math.max(0, sample.durationMs))]++;
  }

  /** Totals, a per-second series and per-route figures over the last `windowS` complete seconds. */
  snapshot(windowS = this.windowS): StatsSnapshot {
    const now = this.now();
    const current = Math.floor(now / 1000);
    const span = Math.max(1, Math.min(windowS, this.windowS));
    const totals = newCounter();
    const perRoute = new Map<string, Counter>();
    const series: SeriesPoint[] = [];
    for (let second = current - span; second < current; second++) {
      const slot = this.slots[((second % this.slots.length) + this.slots.length) % this.slots.length];
      const inSecond = newCounter();
      if (slot.second === second) {
        for (const [key, counter] of slot.routes) {
          add(inSecond, counter);
          let route = perRoute.get(key);
          if (!route) perRoute.set(key, (route = newCounter()));
          add(route, counter);
        }
      }
      add(totals, inSecond);
      series.push({ t: second * 1000, ...point(inSecond) });
    }
    const routes = [...perRoute].map(([key, counter]) => {
      const space = key.indexOf(' ');
      return { method: key.slice(0, space), route: key.slice(space + 1), ...point(counter) };
    });
    routes.sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
    return { window_s: span, now, totals: point(totals), series, routes };
  }

  /**
   * Calls `listener` once a second with the second that just ended (for live charts). The timer
   * runs only while someone listens. Returns the unsubscribe function.
   */
  onSecond(listener: (point: SeriesPoint) => void): () => void {
    this.listeners.add(listener);
    this.timer ??= this.startTimer();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private startTimer(): NodeJS.Timeout {
    // Fire just after each second boundary, so the second reported is complete.
    const delay = 1000 - (this.now() % 1000) + 5;
    const timer = setTimeout(() => {
      const last = this.snapshot(1).series[0];
      for (const listener of this.listeners) {
        try {
          listener(last);
        } catch {
          // A listener is an SSE writer; one broken connection must not stop the others' ticks.
        }
      }
      if (this.listeners.size > 0) this.timer = this.startTimer();
    }, delay);
    timer.unref();
    return timer;
  }
}
