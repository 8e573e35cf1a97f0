import { ArgusError, errors } from '../errors.js';
import type { CoreBudget } from './core-budget.js';
import { processRss } from './memory.js';
import type { Priority } from '../dispatch/types.js';
import type { TaskInput } from '../tasks/types.js';
import type { LoadedModelInfo, WorkerModelSpec } from './protocol.js';
import { WorkerProcess, type WorkerRunOptions, type WorkerRunResult } from './process.js';
import { round2 } from '../numbers.js';

/** A model's state as a whole, derived from its workers and last load. */
export type ModelState = 'unloaded' | 'loading' | 'ready' | 'unavailable';

/**
 * Asks for memory before a worker is spawned. Resolves with a release function (call it once the
 * spawn has settled), or undefined when `optional` and there is no room; throws when a required
 * spawn cannot get memory in time.
 */
export type Admission = (pool: ModelPool, optional: boolean) => Promise<(() => void) | undefined>;

export interface PoolOptions {
  /** Most worker processes for this model. */
  instances: number;
  /** Requests waiting for a worker before new ones are refused with 503. */
  maxQueueDepth: number;
  /** Expected RSS of one worker before one has been measured, in MiB. */
  memoryMb: number;
  /** Never unloaded for idleness or to make room. */
  pinned?: boolean;
  /** Seconds idle before the reaper unloads this model; 0 = never. */
  idleTtlS: number;
  /** Core slots shared by every pool; a run holds `spec.threads` of them. */
  cores?: CoreBudget;
  admit?: Admission;
  /** Spawns a worker (injected so tests and other hosts can provide their own). */
  spawn?: (spec: WorkerModelSpec) => Promise<WorkerProcess>;
  onCrash?: (info: { alias: string; pid?: number; reason: string; busy: boolean }) => void;
  onLoad?: (info: { alias: string; pid?: number; load_ms: number; rss_mb: number; provider: string }) => void;
  /**
   * Dynamic batching: a free worker takes up to `maxBatch` waiting requests and runs them as one
   * model run, waiting at most `maxWaitMs` (from the oldest request's arrival) for the batch to
   * fill. Applies only once the model has loaded and reported itself `batchable`; 1 = off.
   */
  batching?: BatchingOptions;
  /** True while other pools sharing the cores have requests waiting: then no request is overlapped. */
  contended?: () => boolean;
  /** Called for every model run with how many requests it carried (1 when not batched): the metrics hook. */
  onRun?: (info: { alias: string; size: number; overlapped: boolean }) => void;
  /** Called after a worker was stopped on purpose (evicted, idle, shutdown), with the reason: the metrics hook. */
  onStop?: (info: { alias: string; reason: string }) => void;
  /** A run unanswered this long kills its worker as stuck (see {@link WorkerProcess.runTimeoutMs}); 0 = no limit. */
  runTimeoutMs?: number;
}

export interface BatchingOptions {
  /** Most requests in one model run. @defaultValue 1 (off) */
  maxBatch: number;
  /** Longest a request waits for others to fill its batch, in ms; 0 = take what is waiting. @defaultValue 0 */
  maxWaitMs: number;
}

export interface PoolRunResult extends WorkerRunResult {
  queue_ms: number;
  pid?: number;
  attempts: number;
}

interface Waiting {
  params: unknown;
  input: TaskInput;
  options: WorkerRunOptions;
  /** A partial result has reached the caller: a retry would repeat it, so there is none. */
  streamed: boolean;
  enqueuedAt: number;
  attempts: number;
  resolve: (result: PoolRunResult) => void;
  reject: (error: Error) => void;
}

/** After a failed load, new requests fail fast with its reason for this long instead of re-spawning. */
const LOAD_FAILURE_HOLD_MS = 2_000;
/** A request whose worker dies under it is retried once on a fresh worker. */
const MAX_ATTEMPTS = 2;

/**
 * The worker processes of one model and the requests waiting for them. Interactive (sync) requests
 * go ahead of batch (async) ones. Workers are spawned on demand: one first, and more (up to
 * `instances`) only once a load has succeeded and work is waiting, so a broken model costs one
 * spawn and concurrent first requests load the model once.
 */
export class ModelPool {
  private readonly workers = new Set<WorkerProcess>();
  private starting = 0;
  private readonly queues: Record<Priority, Waiting[]> = { interactive: [], batch: [] };
  private loadFailure?: { error: ArgusError; at: number };
  private closed = false;
  /** Largest RSS a loaded worker of this model has shown, in bytes: the estimate for the next. */
  private measuredWorkerBytes = 0;
  info?: LoadedModelInfo;
  lastUsedAt = Date.now();
  /** Workers spawned over this pool's life (a crashed or evicted worker's replacement counts). */
  spawned = 0;
  /** Model runs by how many requests each carried: batch size → runs. */
  readonly runsBySize = new Map<number, number>();
  private batchTimer?: NodeJS.Timeout;
  /**
   * Workers holding core slots. A worker takes its slots when it goes from idle to busy and keeps
   * them until it is idle again, so an overlapped request runs on the slots of the one before it.
   */
  private readonly holdingCores = new Set<WorkerProcess>();

  constructor(readonly spec: WorkerModelSpec, readonly options: PoolOptions) {}

  get alias(): string {
    return this.spec.alias;
  }

  get pinned(): boolean {
    return this.options.pinned ?? false;
  }

  get state(): ModelState {
    if ([...this.workers].some((w) => w.state === 'idle' || w.state === 'busy')) return 'ready';
    if (this.starting > 0) return 'loading';
    if (this.loadFailure) return 'unavailable';
    return 'unloaded';
  }

  get queued(): number {
    return this.queues.interactive.length + this.queues.batch.length;
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return this.queued === 0 && ![...this.workers].some((w) => w.state === 'busy');
  }

  get lastError(): string | undefined {
    return this.loadFailure?.error.message;
  }

  workerList(): WorkerProcess[] {
    return [...this.workers];
  }

  /** A worker's resident memory now (from /proc), or what it last reported. */
  static rssOf(worker: WorkerProcess): number {
    return processRss(worker.pid) ?? worker.rss;
  }

  rssBytes(): number {
    return [...this.workers].reduce((sum, w) => sum + ModelPool.rssOf(w), 0);
  }

  /** What one more worker of this model is expected to take. */
  expectedWorkerBytes(): number {
    return Math.max(this.measuredWorkerBytes, this.options.memoryMb * 1048576);
  }

  /** Enqueue time and priority of the request that has waited longest, for fair dispatch across pools. */
  oldestWaiting(): { priority: Priority; at: number } | undefined {
    const head = this.queues.interactive[0] ?? this.queues.batch[0];
    if (!head) return undefined;
    return { priority: this.queues.interactive.length ? 'interactive' : 'batch', at: head.enqueuedAt };
  }

  /**
   * Runs a request on one of this model's workers, spawning one if none is free. `options` streams
   * partial results and cancels: aborted while waiting, the request leaves the queue at once.
   */
  execute(params: unknown, input: TaskInput, priority: Priority = 'interactive', options: WorkerRunOptions = {}): Promise<PoolRunResult> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    if (options.signal?.aborted) return Promise.reject(errors.cancelled());
    if (this.loadFailure && Date.now() - this.loadFailure.at < LOAD_FAILURE_HOLD_MS && this.workers.size === 0) {
      return Promise.reject(this.loadFailure.error);
    }
    if (this.queued >= this.options.maxQueueDepth) {
      return Promise.reject(errors.queueFull(`model '${this.alias}'`, this.queued, 1));
    }
    this.lastUsedAt = Date.now();
    return new Promise((resolve, reject) => {
      const item: Waiting = { params, input, options, streamed: false, enqueuedAt: performance.now(), attempts: 0, resolve, reject };
      this.queues[priority].push(item);
      options.signal?.addEventListener('abort', () => {
        const queue = this.queues[priority];
        const at = queue.indexOf(item);
        if (at >= 0) {
          queue.splice(at, 1);
          reject(errors.cancelled());
        }
      }, { once: true });
      this.pump();
    });
  }

  /** Loads the model now (one worker) without running anything; resolves once it is ready. */
  async warm(): Promise<void> {
    if (this.state === 'ready') return;
    await this.spawnOne(false);
  }

  private next(): Waiting | undefined {
    return this.queues.interactive.shift() ?? this.queues.batch.shift();
  }

  /** Most requests the next model run may carry: 1 until the model has loaded and said it can batch. */
  get maxBatch(): number {
    return this.info?.batchable ? Math.max(1, this.options.batching?.maxBatch ?? 1) : 1;
  }

  /**
   * Up to `size` waiting requests, interactive first. A request that streams partial results
   * runs alone (a batch answers once per request).
   */
  private take(size: number): Waiting[] {
    const items: Waiting[] = [];
    for (const queue of [this.queues.interactive, this.queues.batch]) {
      for (let i = 0; i < queue.length && items.length < size;) {
        if (queue[i].options.onPartial) {
          if (items.length === 0) return [queue.splice(i, 1)[0]];
          i++;
        } else {
          items.push(queue.splice(i, 1)[0]);
        }
      }
    }
    return items;
  }

  /**
   * True (and a timer armed) while a batch is not full and its oldest request may still wait for
   * others, so the free worker holds off until the batch fills or `maxWaitMs` has passed.
   */
  private holdForBatch(size: number): boolean {
    const waitMs = this.options.batching?.maxWaitMs ?? 0;
    if (size <= 1 || waitMs <= 0 || this.queued >= size) return false;
    const oldest = this.oldestWaiting();
    const left = oldest ? oldest.at + waitMs - performance.now() : 0;
    if (left <= 0) return false;
    if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.pump();
      }, Math.ceil(left));
      this.batchTimer.unref();
    }
    return true;
  }

  /**
   * Hands waiting requests to idle workers (while cores are free), spawns workers as needed, and
   * once every instance runs, overlaps: a busy worker gets the next request to decode meanwhile.
   */
  pump(): void {
    const cores = this.options.cores;
    for (const worker of this.workers) {
      if (this.queued === 0) return;
      if (worker.state !== 'idle') continue;
      const size = this.maxBatch;
      if (this.holdForBatch(size)) break;
      if (cores) {
        if (!cores.tryAcquire(this.spec.threads)) break;
        this.holdingCores.add(worker);
      }
      const items = this.take(size);
      if (items.length === 1) this.dispatch(worker, items[0]);
      else this.dispatchBatch(worker, items);
    }
    if (this.queued === 0 || this.closed) return;
    const capacity = this.workers.size + this.starting;
    const loadedOnce = this.info !== undefined;
    if (capacity === 0) {
      this.spawnOne(false).catch(() => undefined);
    } else if (loadedOnce && capacity < this.options.instances && this.queued > this.starting) {
      // More instances are an optimisation: taken only when memory allows, never by waiting.
      this.spawnOne(true).catch(() => undefined);
    } else {
      this.overlap();
    }
  }

  /**
   * Gives each busy worker that can take one more (its model `overlaps`, see
   * {@link WorkerProcess.acceptsRun}) the next waiting request, never a streaming one. Only when
   * no worker is starting, no other model waits for cores, and the model is not batched (a batch
   * is its own way of keeping the session busy).
   */
  private overlap(): void {
    if (this.starting > 0 || this.maxBatch > 1 || this.options.contended?.()) return;
    for (const worker of this.workers) {
      if (this.queued === 0) return;
      if (worker.state !== 'busy' || !worker.acceptsRun) continue;
      const head = this.queues.interactive[0] ?? this.queues.batch[0];
      if (head.options.onPartial) return;
      this.dispatch(worker, this.next()!);
    }
  }

  private dispatch(worker: WorkerProcess, item: Waiting): void {
    const { onPartial, signal } = item.options;
    const partial = onPartial && ((data: unknown) => {
      item.streamed = true;
      onPartial(data);
    });
    const started = this.started(item);
    const overlapped = worker.state === 'busy';
    const run = worker.run(item.params, item.input, { onPartial: partial, signal, preview: item.options.preview });
    this.ran(worker, 1, this.settle(item, started, run, worker), overlapped);
  }

  /** Runs several requests as one model run on one worker; each still settles (or retries) on its own. */
  private dispatchBatch(worker: WorkerProcess, items: Waiting[]): void {
    const started = items.map((item) => this.started(item));
    const results = worker.runBatch(items.map((item) => ({ params: item.params, input: item.input, preview: item.options.preview })));
    this.ran(worker, items.length, Promise.all(results.map((result, i) => this.settle(items[i], started[i], result, worker))));
  }

  /** Marks a request as handed to a worker; returns how long it queued, in ms. */
  private started(item: Waiting): number {
    item.attempts++;
    this.lastUsedAt = Date.now();
    return performance.now() - item.enqueuedAt;
  }

  /** Settles one request from its worker's answer; a crash retries it once, first in line, on a fresh worker. */
  private settle(item: Waiting, queueMs: number, result: Promise<WorkerRunResult>, worker: WorkerProcess): Promise<void> {
    return result.then(
      // Time an overlapped request waited in the worker, decoded, is queueing too.
      (value) => item.resolve({ ...value, queue_ms: round2(queueMs + (value.waited_ms ?? 0)), pid: worker.pid, attempts: item.attempts }),
      (error: Error) => {
        const crashed = error instanceof ArgusError && error.code === 'worker_crashed';
        if (crashed && item.attempts < MAX_ATTEMPTS && !this.closed && !item.streamed && !item.options.signal?.aborted) {
          this.queues.interactive.unshift(item);
        } else {
          item.reject(error);
        }
      },
    );
  }

  /** Books a model run of `size` requests and frees its worker's cores once it has nothing left in flight. */
  private ran(worker: WorkerProcess, size: number, settled: Promise<unknown>, overlapped = false): void {
    this.runsBySize.set(size, (this.runsBySize.get(size) ?? 0) + 1);
    this.options.onRun?.({ alias: this.alias, size, overlapped });
    void settled.finally(() => {
      this.lastUsedAt = Date.now();
      // What the worker reported with its result: reading /proc here cost 0.05 ms a request.
      if (worker.rss > this.measuredWorkerBytes) this.measuredWorkerBytes = worker.rss;
      if (worker.inFlight === 0 && this.holdingCores.delete(worker)) this.options.cores?.release(this.spec.threads);
      this.pump();
    });
  }

  private async spawnOne(optional: boolean): Promise<WorkerProcess | undefined> {
    this.starting++;
    let release: (() => void) | undefined;
    try {
      if (this.options.admit) {
        release = await this.options.admit(this, optional);
        if (!release) return undefined;
      }
      if (this.closed) return undefined;
      const spawn = this.options.spawn ?? WorkerProcess.spawn;
      this.spawned++;
      const worker = await spawn(this.spec);
      worker.runTimeoutMs = this.options.runTimeoutMs ?? 0;
      this.info = worker.info;
      this.loadFailure = undefined;
      this.measuredWorkerBytes = Math.max(this.measuredWorkerBytes, ModelPool.rssOf(worker));
      this.workers.add(worker);
      worker.onExitOnce((reason) => {
        const wasBusy = worker.state === 'busy';
        this.workers.delete(worker);
        if (!this.closed && worker.stopReason === undefined) {
          this.options.onCrash?.({ alias: this.alias, pid: worker.pid, reason, busy: wasBusy });
        }
        this.pump();
      });
      this.options.onLoad?.({ alias: this.alias, pid: worker.pid, load_ms: worker.info?.load_ms ?? 0, rss_mb: Math.round(ModelPool.rssOf(worker) / 1048576), provider: worker.info?.provider ?? 'unknown' });
      if (this.closed) await worker.stop();
      return worker;
    } catch (error) {
      const argusError = error instanceof ArgusError ? error : errors.modelUnavailable(this.alias, (error as Error).message);
      if (!optional) {
        this.loadFailure = { error: argusError, at: Date.now() };
        if (this.workers.size === 0 && this.starting === 1) this.rejectAll(argusError);
      }
      throw argusError;
    } finally {
      this.starting--;
      release?.();
      this.pump();
    }
  }

  private rejectAll(error: Error): void {
    for (const queue of Object.values(this.queues)) {
      for (const item of queue.splice(0)) item.reject(error);
    }
  }

  /** Idle workers, least recently used first: what eviction may take. */
  idleWorkers(): WorkerProcess[] {
    return [...this.workers].filter((w) => w.state === 'idle').sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  }

  /** Stops one worker on purpose (evicted, idle, unloaded): not reported as a crash. */
  async stopWorker(worker: WorkerProcess, reason: string): Promise<void> {
    worker.stopReason = reason;
    await worker.stop();
    this.options.onStop?.({ alias: this.alias, reason });
  }

  /**
   * Stops idle workers now; with `force`, busy ones too (their requests fail with 503).
   * Returns how many were stopped and whether a busy one was left running.
   */
  async unload(reason: string, force = false): Promise<{ stopped: number; busyLeft: boolean }> {
    const targets = [...this.workers].filter((w) => force || w.state !== 'busy');
    const busyLeft = targets.length < this.workers.size;
    await Promise.all(targets.map((w) => this.stopWorker(w, reason)));
    return { stopped: targets.length, busyLeft };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.batchTimer);
    this.rejectAll(errors.shuttingDown());
    await Promise.all([...this.workers].map((w) => this.stopWorker(w, 'shutdown')));
  }
}
