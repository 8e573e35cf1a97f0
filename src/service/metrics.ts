/**
 * Prometheus metrics (prom-client), served as text at `GET /metrics`. One registry per Argus
 * instance (never prom-client's global one), so two servers in one process (tests) do not mix.
 * Counters and histograms are fed where things happen (HTTP hooks, the metered dispatcher, limits);
 * gauges of state (jobs, queues, workers) are read from the services when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobCounts } from '../jobs/types.js';
import type { DispatcherStatus } from '../dispatch/types.js';

/** Seconds; inference on CPU spans ~5 ms (classify) to minutes (generation). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const STAGES = ['decode', 'preprocess', 'inference', 'postprocess', 'queue'] as const;

export interface MetricsSources {
  /** Async jobs by state. */
  jobs: () => Promise<JobCounts>;
  /** Models, workers and memory (the dispatcher's status). */
  runtime: () => Promise<DispatcherStatus>;
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'argus_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['method', 'route', 'status'] as const, registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'argus_http_request_duration_seconds', help: 'Time to the last byte of HTTP answers, by route pattern.',
    labelNames: ['method', 'route'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly inferences = new Counter({
    name: 'argus_inferences_total', help: 'Model runs (sync requests, async jobs and the inner runs of composite tasks), by outcome.',
    labelNames: ['task', 'model', 'outcome'] as const, registers: [this.registry],
  });
  readonly inferenceDuration = new Histogram({
    name: 'argus_inference_duration_seconds', help: 'Model run time (queue wait plus all stages), by task and model.',
    labelNames: ['task', 'model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly stageDuration = new Histogram({
    name: 'argus_stage_duration_seconds', help: 'Time per pipeline stage (decode, preprocess, inference, postprocess, queue wait), by task and model.',
    labelNames: ['task', 'model', 'stage'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  /** Observed by the dynamic batcher: requests per batch sent to a worker. */
  readonly batchSize = new Histogram({
    name: 'argus_batch_size', help: 'Requests per batch run by a model worker.',
    labelNames: ['model'] as const, buckets: [1, 2, 4, 8, 16, 32, 64], registers: [this.registry],
  });
  readonly overlapped = new Counter({
    name: 'argus_overlapped_requests_total', help: 'Requests handed to a model worker while it still ran the one before, so their decode overlapped its inference.',
    labelNames: ['model'] as const, registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'argus_rejected_requests_total', help: 'Requests refused with a 4xx, by error code (the reason).',
    labelNames: ['code'] as const, registers: [this.registry],
  });
  readonly limited = new Counter({
    name: 'argus_limited_requests_total', help: 'Requests refused by a limit: rate (429), concurrency per key (429), pressure (503), slow_body (408).',
    labelNames: ['kind'] as const, registers: [this.registry],
  });
  readonly modelLoadDuration = new Histogram({
    name: 'argus_model_load_duration_seconds', help: 'Time for a model worker to load its model (first use, explicit load, more instances, replacements).',
    labelNames: ['model'] as const, buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [this.registry],
  });
  readonly unloads = new Counter({
    name: 'argus_model_unloads_total', help: 'Model workers stopped on purpose, by reason: request (evict), memory (evicted for another model), idle, shutdown.',
    labelNames: ['model', 'reason'] as const, registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    // A 100 ms lag monitor instead of the default 10 ms: a tenth of the idle wakeups (see http/plugins/limits.ts).
    collectDefaultMetrics({ register: this.registry, prefix: 'argus_', eventLoopMonitoringPrecision: 100 });
    const registers = [this.registry];
    new Gauge({
      name: 'argus_jobs', help: 'Async jobs by state (queued is the job queue depth).', labelNames: ['status'] as const, registers,
      async collect() {
        const counts = await sources.jobs();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    // One status read serves every runtime gauge of a scrape.
    let pending: Promise<DispatcherStatus> | undefined;
    const runtime = () => (pending ??= sources.runtime().finally(() => setTimeout(() => (pending = undefined), 0)));
    const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: DispatcherStatus) => void) =>
      new Gauge({
        name, help, labelNames, registers,
        async collect() {
          this.reset();
          fill(this, await runtime());
        },
      });
    gauge('argus_model_queue_depth', 'Requests waiting for a model\'s workers.', ['model'], (g, s) => s.models.forEach((m) => g.set({ model: m.alias }, m.queued)));
    gauge('argus_model_loads', 'Workers spawned (model loads) per model since start, crash replacements included.', ['model'], (g, s) => s.models.forEach((m) => g.set({ model: m.alias }, m.loads)));
    gauge('argus_model_ready', '1 when a model has a ready worker.', ['model'], (g, s) => s.models.forEach((m) => g.set({ model: m.alias }, m.state === 'ready' ? 1 : 0)));
    gauge('argus_workers', 'Model worker processes by model and busy/idle.', ['model', 'busy'], (g, s) => {
      for (const w of s.workers) g.inc({ model: w.model, busy: String(w.busy) });
    });
    gauge('argus_worker_rss_bytes', 'Resident memory of each model worker.', ['model', 'pid'], (g, s) => {
      for (const w of s.workers) g.set({ model: w.model, pid: String(w.pid ?? '') }, w.rss_mb * 1048576);
    });
  }

  /** Records one model run's stage timings (ms, as every result carries them). */
  observeFailure(task: string, model: string, code: string): void {
    this.inferences.inc({ task, model, outcome: code });
  }

  observeRun(task: string, model: string, timings: Record<string, number | undefined>): void {
    this.inferences.inc({ task, model, outcome: 'ok' });
    let total = 0;
    for (const stage of STAGES) {
      const ms = timings[`${stage}_ms`];
      if (typeof ms !== 'number') continue;
      total += ms;
      this.stageDuration.observe({ task, model, stage }, ms / 1000);
    }
    this.inferenceDuration.observe({ task, model }, total / 1000);
  }

  /** Records a worker stopped on purpose; `reason` is the manager's free text, folded into a few kinds. */
  observeUnload(model: string, reason: string): void {
    const kind = reason === 'evicted by request' ? 'request' : reason.startsWith('evicted for') ? 'memory' : reason.startsWith('idle') ? 'idle' : reason === 'shutdown' ? 'shutdown' : 'other';
    this.unloads.inc({ model, reason: kind });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
