import { fork, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { ArgusError, errors } from '../errors.js';
import type { StageTimings, TaskInput } from '../tasks/types.js';
import type { ThumbnailSides, Thumbnails } from '../vision/thumbnail.js';
import { childModule } from '../child-module.js';
import { discardSpooled, imageSpool, sendImage, type WireInput } from './image-pipe.js';
import type { LoadedModelInfo, ParentMessage, WorkerMessage, WorkerModelSpec } from './protocol.js';

/** Worker lifecycle as an explicit state, never inferred from nulls. */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'stopping' | 'exited';

export interface WorkerRunResult {
  output: unknown;
  timings: StageTimings;
  /** How many requests ran in the same model run as this one (1 when not batched). */
  batch?: number;
  /** How long the request, decoded, waited in the worker for the one before it (overlapped runs). */
  waited_ms?: number;
  /** The history's images made by the worker from its own decode (asked with `preview`); undefined where it had none. */
  preview?: Promise<Thumbnails | undefined>;
}

interface Pending {
  resolve: (value: WorkerRunResult) => void;
  reject: (error: Error) => void;
  onPartial?: (data: unknown) => void;
}

/** A run's optional streaming and cancellation (see {@link RunContext}). */
export interface WorkerRunOptions {
  /** Receives each partial result the runner emits; the worker is asked for partials only when set. */
  onPartial?: (data: unknown) => void;
  /** Aborting it asks the worker to stop this run early (it still answers, with what it has). */
  signal?: AbortSignal;
  /** Asks the worker for the history's images of this request's image (see {@link WorkerRunResult.preview}). */
  preview?: ThumbnailSides;
}

/**
 * Requests one worker holds at most: the one its session runs and, where the model `overlaps`,
 * the next, decoding meanwhile. More would only move the queue into the worker, where it can
 * neither be cancelled cheaply nor go to a worker that frees up first.
 */
const MAX_IN_FLIGHT = 2;

/**
 * Parent-side handle of one model worker process. Runs one request at a time, or two where the
 * model overlaps (the second decodes while the first runs).
 */
export class WorkerProcess {
  state: WorkerState = 'starting';
  /** Requests sent and not yet answered. */
  inFlight = 0;
  info?: LoadedModelInfo;
  /** Resident memory reported by the worker with its last message, in bytes. */
  rss = 0;
  requests = 0;
  readonly startedAt = Date.now();
  lastUsedAt = Date.now();
  exitReason?: string;
  /** Set when Argus stops the worker on purpose (evicted, idle, shutdown); absent for a crash. */
  stopReason?: string;
  private readonly child: ChildProcess;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Requests whose previews are still to come, by id. */
  private previews = new Map<number, (thumbnails: Thumbnails | undefined) => void>();
  /** Spool files sent with requests still pending, by id: deleted here if the worker dies first. */
  private spooled = new Map<number, string>();
  private exitListeners: Array<(reason: string) => void> = [];

  private constructor(readonly spec: WorkerModelSpec) {
    const entry = childModule('workers/entry');
    this.child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      // fd 4: the image pipe (image-pipe.ts), so image bytes skip the IPC serialiser.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    // A write to a worker that died fails here; the exit handler reports the death.
    this.child.stdio[4]?.on('error', () => undefined);
    this.child.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.child.on('exit', (code, signal) => this.onExit(signal ? `killed by ${signal}` : `exit code ${code}`));
    this.child.on('error', (error) => this.onExit(`process error: ${error.message}`));
  }

  private get imagePipe(): Writable | null {
    return this.child.stdio[4] as Writable | null;
  }

  /** The input as the message carries it: a large image goes by spool file or by the image pipe. */
  private wire(id: number, input: TaskInput): WireInput {
    const spool = imageSpool();
    const wire = sendImage(this.imagePipe, id, input, spool && { spool, name: `${this.pid ?? 'unspawned'}-${id}` });
    if (wire.imageFile) this.spooled.set(id, wire.imageFile);
    return wire;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks a worker and loads the model in it; resolves when it is ready to run. */
  static spawn(spec: WorkerModelSpec): Promise<WorkerProcess> {
    const worker = new WorkerProcess(spec);
    return new Promise((resolve, reject) => {
      worker.readyWaiter = { resolve: () => resolve(worker), reject };
      worker.send({ type: 'load', spec });
    });
  }

  private readyWaiter?: { resolve: () => void; reject: (error: Error) => void };

  private send(message: ParentMessage): void {
    this.child.send(message, (error) => {
      if (error) this.onExit(`IPC send failed: ${error.message}`);
    });
  }

  /**
   * Longest one run (or batch) may go unanswered before the worker counts as stuck: its requests
   * fail with 504 `timeout` and the process is killed (the pool replaces it on demand). A stuck
   * run is not retried, since the same input would most likely hang again. 0 = no limit.
   */
  runTimeoutMs = 0;

  /** Starts the stuck-run watchdog for these request ids; returns its cancel. */
  private watch(ids: number[]): () => void {
    const ms = this.runTimeoutMs;
    if (!ms) return () => undefined;
    const timer = setTimeout(() => {
      const stuck = ids.map((id) => this.settle(id, 'failed')).filter((p) => p !== undefined);
      if (stuck.length === 0) return;
      this.exitReason = `stuck: no answer in ${ms} ms, killed`;
      for (const pending of stuck) pending.reject(errors.timeout(`Model '${this.spec.alias}' inference`, ms));
      // SIGKILL: a stuck native call (or a stopped process) does not handle SIGTERM.
      this.child.kill('SIGKILL');
    }, ms);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /**
   * Whether the worker takes one more request now: idle, or running one of a model that overlaps
   * and holding nothing else. (Models that overlap are template pipelines, which never stream.)
   */
  get acceptsRun(): boolean {
    if (this.state === 'idle') return true;
    return this.state === 'busy' && this.info?.overlaps === true && this.inFlight < MAX_IN_FLIGHT;
  }

  /** Runs one request; a second may be sent while one runs where {@link acceptsRun} says so. */
  run(params: unknown, input: TaskInput, options: WorkerRunOptions = {}): Promise<WorkerRunResult> {
    if (!this.acceptsRun) return Promise.reject(new Error(`worker ${this.pid} is ${this.state}`));
    this.state = 'busy';
    this.inFlight++;
    this.requests++;
    const id = this.nextId++;
    const { onPartial, signal } = options;
    const cancel = () => this.send({ type: 'cancel', id });
    const preview = options.preview && new Promise<Thumbnails | undefined>((resolve) => this.previews.set(id, resolve));
    let unwatch = () => undefined as void;
    return new Promise<WorkerRunResult>((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve({ ...result, preview }), reject, onPartial });
      this.send({ type: 'run', id, params, input: this.wire(id, input), partials: onPartial !== undefined, preview: options.preview });
      unwatch = this.watch([id]);
      signal?.addEventListener('abort', cancel, { once: true });
    }).catch((error: Error) => {
      this.takePreview(id)?.(undefined);
      throw error;
    }).finally(() => {
      unwatch();
      signal?.removeEventListener('abort', cancel);
      this.lastUsedAt = Date.now();
      this.inFlight--;
      if (this.state === 'busy' && this.inFlight === 0) this.state = 'idle';
    });
  }

  private takePreview(id: number): ((thumbnails: Thumbnails | undefined) => void) | undefined {
    const receive = this.previews.get(id);
    this.previews.delete(id);
    return receive;
  }

  /**
   * Runs several requests as one batch (the model must be `batchable`); each settles on its own.
   * The worker stays busy until all have. Cancelling one only drops it here: a batch runs whole.
   */
  runBatch(items: ReadonlyArray<{ params: unknown; input: TaskInput; preview?: ThumbnailSides }>): Array<Promise<WorkerRunResult>> {
    if (this.state !== 'idle') return items.map(() => Promise.reject(new Error(`worker ${this.pid} is ${this.state}`)));
    this.state = 'busy';
    this.inFlight++;
    this.requests += items.length;
    const sent: Extract<ParentMessage, { type: 'run-batch' }>['items'] = [];
    const results = items.map((item) => {
      const id = this.nextId++;
      sent.push({ id, params: item.params, input: this.wire(id, item.input), preview: item.preview });
      const preview = item.preview && new Promise<Thumbnails | undefined>((resolve) => this.previews.set(id, resolve));
      return new Promise<WorkerRunResult>((resolve, reject) => this.pending.set(id, { resolve: (result) => resolve({ ...result, preview }), reject })).catch((error: Error) => {
        this.takePreview(id)?.(undefined);
        throw error;
      });
    });
    this.send({ type: 'run-batch', items: sent });
    const unwatch = this.watch(sent.map((item) => item.id));
    void Promise.allSettled(results).then(() => {
      unwatch();
      this.lastUsedAt = Date.now();
      this.inFlight--;
      if (this.state === 'busy') this.state = 'idle';
    });
    return results;
  }

  onExitOnce(listener: (reason: string) => void): void {
    this.exitListeners.push(listener);
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.info = message.info;
        this.rss = message.rss;
        this.state = 'idle';
        this.readyWaiter?.resolve();
        this.readyWaiter = undefined;
        break;
      case 'load-failed':
        this.exitReason = message.error.message;
        this.readyWaiter?.reject(ArgusError.from(message.error));
        this.readyWaiter = undefined;
        break;
      case 'partial':
        this.pending.get(message.id)?.onPartial?.(message.data);
        break;
      case 'result':
        this.rss = message.rss;
        this.settle(message.id, 'result')?.resolve({ output: message.output, timings: message.timings, batch: message.batch, waited_ms: message.waited_ms });
        break;
      case 'preview': {
        const thumbnails = message.thumbnails;
        // The IPC serialiser hands buffers back as plain Uint8Arrays: wrapped, not copied.
        const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        this.takePreview(message.id)?.(thumbnails && { ...thumbnails, preview: asBuffer(thumbnails.preview), thumbnail: asBuffer(thumbnails.thumbnail) });
        break;
      }
      case 'failed':
        this.settle(message.id, 'failed')?.reject(ArgusError.from(message.error));
        break;
    }
  }

  /**
   * Ends request `id`. The worker deletes a spool file when it reads it, and a result means it
   * read it; after a failure it may not have (it failed first), so the file goes here. Not
   * unlinked after a result: an unlink of a file already gone costs a syscall and an exception.
   */
  private settle(id: number, outcome: 'result' | 'failed'): Pending | undefined {
    const spooled = this.spooled.get(id);
    if (spooled !== undefined) {
      this.spooled.delete(id);
      if (outcome === 'failed') discardSpooled(spooled);
    }
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private onExit(reason: string): void {
    if (this.state === 'exited') return;
    const wasStopping = this.state === 'stopping';
    this.state = 'exited';
    this.exitReason ??= reason;
    this.readyWaiter?.reject(errors.modelUnavailable(this.spec.alias, `its worker exited while loading (${reason}).`));
    this.readyWaiter = undefined;
    for (const pending of this.pending.values()) {
      pending.reject(wasStopping ? errors.shuttingDown() : errors.workerCrashed(this.spec.alias, `pid ${this.pid}, ${reason}`));
    }
    this.pending.clear();
    for (const path of this.spooled.values()) discardSpooled(path);
    this.spooled.clear();
    for (const receive of this.previews.values()) receive(undefined);
    this.previews.clear();
    for (const listener of this.exitListeners) listener(reason);
    this.exitListeners = [];
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
  stop(graceMs = 2_000): Promise<void> {
    if (this.state === 'exited') return Promise.resolve();
    this.state = 'stopping';
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.onExitOnce(() => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}
