import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { errors } from '../errors.js';
import type { Catalog } from '../models/catalog.js';
import { classifyLicence } from '../models/licence.js';
import type { Manifest } from '../models/manifest.js';
import type { EvictResult, MemoryStatus, ModelRuntimeStatus, Priority, WorkerStatus } from '../dispatch/types.js';
import type { TaskInput } from '../tasks/types.js';
import { CoreBudget } from './core-budget.js';
import { IdleReaper } from './idle-reaper.js';
import { MemoryBudget } from './memory-budget.js';
import { mb, processRss, systemMemory } from './memory.js';
import { ModelPool, type PoolRunResult } from './pool.js';
import type { WorkerRunOptions } from './process.js';
import type { LabelSource, WorkerModelSpec } from './protocol.js';

export interface WorkerManagerOptions {
  config: Config;
  catalog: Catalog;
  log?: Logger;
  onCrash?: (info: { alias: string; pid?: number; reason: string; busy: boolean }) => void;
}

/** One model run and how many requests it carried (1 when not batched). */
export interface ModelRunEvent {
  alias: string;
  size: number;
  /** Handed to a worker still running the request before it (its decode overlapped that inference). */
  overlapped: boolean;
}

/** A model worker loaded (`load_ms`) or stopped on purpose (`reason`); crashes are reported through `onCrash`. */
export type ModelLifecycleEvent =
  | { kind: 'load'; alias: string; load_ms: number }
  | { kind: 'stop'; alias: string; reason: string };

/**
 * Dynamic batching when neither the manifest nor config says: up to 8 requests per run, taking
 * what is waiting without holding a free worker back (see docs/architecture.md for the figures).
 * Applies only to models with a dynamic batch axis.
 */
export const DEFAULT_BATCHING = { maxBatch: 8, maxWaitMs: 0 } as const;

/**
 * Owns every model worker of this process, one {@link ModelPool} per model, created on first use.
 * Composed of small parts, each with one concern: {@link CoreBudget} (threads at once ≤ cores),
 * {@link MemoryBudget} (admission and LRU eviction by real RSS), {@link IdleReaper} (idle TTL).
 */
export class WorkerManager {
  private readonly pools = new Map<string, ModelPool>();
  private readonly licenceWarned = new Set<string>();
  private readonly cores: CoreBudget;
  readonly memory: MemoryBudget;
  private readonly reaper: IdleReaper;
  private readonly runListeners = new Set<(event: ModelRunEvent) => void>();
  private readonly lifecycleListeners = new Set<(event: ModelLifecycleEvent) => void>();
  private closed = false;

  constructor(private readonly options: WorkerManagerOptions) {
    const { config, log } = options;
    this.cores = new CoreBudget(config.cpuCores);
    // A freed core lets whichever pool has waited longest go first.
    this.cores.onRelease(() => this.pumpAll());
    this.memory = new MemoryBudget({
      budgetBytes: config.memoryBudgetMb * 1048576,
      waitMs: config.loadWaitMs,
      pools: () => [...this.pools.values()],
      log,
    });
    this.reaper = new IdleReaper(() => [...this.pools.values()], log);
    this.reaper.start(Math.min(5_000, Math.max(250, (config.idleTtlS * 1000) / 4 || 5_000)));
  }

  private pumpAll(): void {
    const waiting = [...this.pools.values()]
      .map((pool) => ({ pool, head: pool.oldestWaiting() }))
      .filter((p) => p.head)
      .sort((a, b) => (a.head!.priority === b.head!.priority ? a.head!.at - b.head!.at : a.head!.priority === 'interactive' ? -1 : 1));
    for (const { pool } of waiting) pool.pump();
    this.memory.notify();
  }

  /**
   * Calls `listener` for every model run with its batch size (the metrics hook: a histogram of
   * batch sizes per model). Returns a function that removes it.
   */
  onModelRun(listener: (event: ModelRunEvent) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  /**
   * Calls `listener` when a worker has loaded its model (with the load time) and when one was
   * stopped on purpose (with the reason: idle, evicted by request or for memory, shutdown); the
   * metrics hook. Returns a function that removes it.
   */
  onModelLifecycle(listener: (event: ModelLifecycleEvent) => void): () => void {
    this.lifecycleListeners.add(listener);
    return () => this.lifecycleListeners.delete(listener);
  }

  /** Dynamic batching of a model: from config, then manifest, then {@link DEFAULT_BATCHING}. */
  batching(manifest: Manifest): { maxBatch: number; maxWaitMs: number } {
    const override = this.options.config.models[manifest.alias] ?? {};
    return {
      maxBatch: override.maxBatch ?? manifest.maxBatch ?? DEFAULT_BATCHING.maxBatch,
      maxWaitMs: override.maxWaitMs ?? manifest.maxWaitMs ?? DEFAULT_BATCHING.maxWaitMs,
    };
  }

  /** Threads per worker and workers per model: from config, then manifest, then the core budget. */
  placement(manifest: Manifest): { threads: number; instances: number } {
    const override = this.options.config.models[manifest.alias] ?? {};
    const cores = this.options.config.cpuCores;
    const threads = Math.min(cores, override.threads ?? manifest.threads ?? 1);
    const instances = override.instances ?? manifest.instances ?? Math.max(1, Math.floor(cores / threads));
    return { threads, instances };
  }

  /**
   * Whether a model's workers overlap decode with inference: from config, else where it pays,
   * which is when the session leaves CPU for the decode (a GPU provider, or fewer workers ×
   * threads than cores). Where workers already fill the cores, a decode meanwhile only takes CPU
   * from another worker's inference and each run pays the session thread's hop (measured in
   * docs/benchmarks.md: no gain on 2 cores with two single-thread workers).
   */
  overlap(manifest: Manifest): boolean {
    const { config } = this.options;
    const override = config.models[manifest.alias]?.overlap;
    if (override !== undefined) return override;
    const { threads, instances } = this.placement(manifest);
    return config.executionProvider !== 'cpu' || instances * threads < config.cpuCores;
  }

  private specFor(manifest: Manifest): WorkerModelSpec {
    const { config, catalog } = this.options;
    const availability = catalog.availability(manifest);
    if (!availability.available || !availability.path) {
      throw errors.modelNotInstalled(manifest.alias, availability.reason ?? 'its files are missing.');
    }
    return {
      alias: manifest.alias,
      task: manifest.task,
      runtime: manifest.runtime,
      file: availability.path,
      files: availability.files,
      input: manifest.input,
      output: manifest.output,
      labels: this.labelSource(manifest),
      threads: this.placement(manifest).threads,
      overlap: this.overlap(manifest),
      provider: config.executionProvider,
      requireProvider: config.requireGpu,
      maxPixels: config.maxPixels,
    };
  }

  private labelSource(manifest: Manifest): LabelSource {
    const labels = manifest.labels;
    if (!labels) return { source: 'none' };
    if (labels.source === 'file') {
      const path = this.options.catalog.availability({ ...manifest, source: { type: 'file', path: labels.path } }).path!;
      return { source: 'file', path };
    }
    return labels;
  }

  /** The pool of a model, created (not yet spawned) on first use. */
  pool(manifest: Manifest): ModelPool {
    if (this.closed) throw errors.shuttingDown();
    let pool = this.pools.get(manifest.alias);
    if (!pool) {
      const { config, log } = this.options;
      const override = config.models[manifest.alias] ?? {};
      pool = new ModelPool(this.specFor(manifest), {
        instances: this.placement(manifest).instances,
        maxQueueDepth: config.maxQueueDepth,
        memoryMb: manifest.memoryMb,
        pinned: config.preload.includes(manifest.alias),
        idleTtlS: override.idleTtlS ?? config.idleTtlS,
        cores: this.cores,
        admit: this.memory.admit,
        batching: this.batching(manifest),
        // Overlapping keeps a worker's cores busy back to back; other models waiting for cores go first.
        contended: () => [...this.pools.values()].some((other) => other.alias !== manifest.alias && other.queued > 0),
        runTimeoutMs: config.inferenceTimeoutMs,
        onRun: (event) => {
          for (const listener of this.runListeners) listener(event);
        },
        onCrash: (info) => {
          this.options.onCrash?.(info);
          this.memory.notify();
        },
        onStop: ({ alias, reason }) => {
          for (const listener of this.lifecycleListeners) listener({ kind: 'stop', alias, reason });
        },
        onLoad: (info) => {
          for (const listener of this.lifecycleListeners) listener({ kind: 'load', alias: info.alias, load_ms: info.load_ms });
          log?.info(info, `loaded model ${info.alias} in ${info.load_ms} ms (pid ${info.pid}, ${info.rss_mb} MiB, ${info.provider})`);
          // Never a silent CPU fallback: say it in the log as well as in every status.
          const fallback = this.pools.get(info.alias)?.info?.fallbackReason;
          if (fallback) log?.warn({ model: info.alias, provider: info.provider }, `model ${info.alias} runs on ${info.provider}: ${fallback}`);
          this.warnLicenceOnce(manifest);
        },
      });
      this.pools.set(manifest.alias, pool);
    }
    return pool;
  }

  /** One warning line per process for a model whose licence carries an obligation (AGPL, GPL, non-commercial). */
  private warnLicenceOnce(manifest: Manifest): void {
    if (this.licenceWarned.has(manifest.alias)) return;
    this.licenceWarned.add(manifest.alias);
    const { warning } = classifyLicence(manifest.licence);
    if (warning) this.options.log?.warn({ model: manifest.alias, licence: manifest.licence }, `model ${manifest.alias}: ${warning}`);
  }

  execute(manifest: Manifest, params: unknown, input: TaskInput, priority: Priority, options?: WorkerRunOptions): Promise<PoolRunResult> {
    return this.pool(manifest).execute(params, input, priority, options);
  }

  /** Loads a model now (one worker). */
  async load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    const pool = this.pool(manifest);
    await pool.warm();
    return this.describe(pool);
  }

  /** Loads the pinned models named in config, in parallel; failures are logged, not fatal. */
  async preload(manifests: Manifest[]): Promise<void> {
    await Promise.all(manifests.map((m) => this.load(m).catch((error: unknown) => {
      this.options.log?.error({ model: m.alias, err: error }, `could not preload model ${m.alias}`);
    })));
  }

  /** Stops a model's workers now. A busy model answers 409 unless `force`. */
  async evict(alias: string, force = false): Promise<EvictResult> {
    const pool = this.pools.get(alias);
    if (!pool || pool.workerList().length === 0) return { alias, stopped: 0, freed_mb: 0 };
    if (!force && !pool.idle) throw errors.conflict(`Model '${alias}' is busy; retry when it is idle, or pass force=true to stop it mid-request.`);
    const before = pool.rssBytes();
    const { stopped } = await pool.unload('evicted by request', force);
    this.memory.notify();
    this.options.log?.info({ model: alias, stopped, freed_mb: mb(before) }, `evicted model ${alias}`);
    return { alias, stopped, freed_mb: mb(before - pool.rssBytes()) };
  }

  /** The loaded-model info (sha256, provider) of a model, if it has loaded in this process. */
  loadedInfo(alias: string) {
    return this.pools.get(alias)?.info;
  }

  private describe(pool: ModelPool): ModelRuntimeStatus {
    return {
      alias: pool.alias,
      state: pool.state,
      workers: pool.workerList().length,
      queued: pool.queued,
      pinned: pool.pinned,
      rss_mb: mb(pool.rssBytes()),
      loads: pool.spawned,
      sha256: pool.info?.sha256,
      provider: pool.info?.provider,
      overlap: pool.info?.overlaps,
      last_error: pool.lastError,
      last_used_s: Math.round((Date.now() - pool.lastUsedAt) / 1000),
    };
  }

  modelStatus(): ModelRuntimeStatus[] {
    return [...this.pools.values()].map((p) => this.describe(p));
  }

  workerStatus(): WorkerStatus[] {
    const now = Date.now();
    return [...this.pools.values()].flatMap((pool) =>
      pool.workerList().map((w) => ({
        pid: w.pid,
        model: pool.alias,
        models: [pool.alias],
        state: w.state,
        busy: w.state === 'busy',
        in_flight: w.inFlight,
        rss_mb: mb(ModelPool.rssOf(w)),
        requests: w.requests,
        uptime_s: Math.round((now - w.startedAt) / 1000),
        idle_s: w.state === 'busy' ? 0 : Math.round((now - w.lastUsedAt) / 1000),
        provider: w.info?.provider,
        fallback_reason: w.info?.fallbackReason,
      })),
    );
  }

  memoryStatus(): MemoryStatus {
    return {
      ...systemMemory(),
      budget_mb: mb(this.memory.budgetBytes),
      used_by_workers_mb: mb([...this.pools.values()].reduce((sum, p) => sum + p.rssBytes(), 0)),
      api_rss_mb: mb(processRss(process.pid) ?? process.memoryUsage.rss()),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reaper.stop();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
