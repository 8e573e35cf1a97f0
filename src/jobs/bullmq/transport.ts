import { Queue, QueueEvents, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ArgusError, errors, type ErrorBody } from '../../errors.js';
import { nodeConnectionName, QueueConnection } from './connection.js';

/** Jobs of composite tasks (scene analysis, analyze presets) go to one queue every worker consumes. */
export const COMPOSITE_QUEUE = 'composite';

/** BullMQ forbids ':' in queue names; aliases are [a-z0-9._-] already. */
export function queueForModel(alias: string): string {
  return `m.${alias}`;
}

/** Job names: a synchronous request waited on by an API node, or a stored async job. */
export type JobKind = 'request' | 'job';

export type Handler = (data: unknown, job: Job) => Promise<unknown>;

export interface TransportOptions {
  /** `redis://…`, `rediss://…` or `redis+sentinel://…` (see redis-url.ts). */
  redisUrl: string;
  /** Key prefix of every queue, so deployments (and test runs) sharing a Redis stay apart. */
  prefix: string;
  log?: Logger;
  /**
   * This node's id (worker nodes): its BullMQ workers carry it as their name, so a job being
   * processed says which node holds it (`processedBy`), and its connections are named after it.
   */
  nodeId?: string;
  /** `api` or `worker`: the role in this node's connection name. @defaultValue 'api' */
  role?: 'api' | 'worker';
  /** A worker holding a job renews its lock; a lock not renewed for this long marks the job stalled. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs to hand to another worker. */
  stalledIntervalMs: number;
  /** Stalls after which a job fails instead of being redelivered again. */
  maxStalledCount: number;
}

interface Waiter {
  queue: string;
  /** Set once the job is in Redis: before that, "not found" means "not there yet". */
  added: boolean;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A synchronous request being waited on, as the watchdog sees it. */
export interface PendingRequest {
  jobId: string;
  queue: string;
  added: boolean;
}

/** An error body travels through BullMQ's failedReason as JSON. */
export function encodeError(error: unknown): string {
  const body: ErrorBody & { status?: number; retryAfterS?: number } = error instanceof ArgusError
    ? { ...error.toJSON(), status: error.status, retryAfterS: error.retryAfterS }
    : { code: 'internal_error', message: (error as Error)?.message ?? String(error), status: 500 };
  return JSON.stringify(body);
}

export function decodeError(reason: string | undefined): ArgusError {
  try {
    const body = JSON.parse(reason ?? '');
    if (body && typeof body.code === 'string') return ArgusError.from(body);
  } catch {
    // not one of ours: BullMQ's own reasons ("job stalled more than allowable limit")
  }
  return errors.internal(reason || 'The job failed without a reason.');
}

/**
 * Argus's use of BullMQ in one place: one queue per model, synchronous requests awaited through
 * each queue's completion events (one listener and a map of waiters, registered before the job is
 * added, so a fast job cannot finish unseen), and workers that hand each job to the handler
 * registered for its name.
 */
export class BullmqTransport {
  readonly connection: QueueConnection;
  readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, Promise<QueueEvents>>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly handlers = new Map<JobKind, Handler>();
  private readonly workers = new Map<string, Worker>();
  private closed = false;

  constructor(readonly options: TransportOptions) {
    const name = options.nodeId ? nodeConnectionName(options.prefix, options.role ?? 'api', options.nodeId) : undefined;
    this.connection = new QueueConnection(options.redisUrl, { log: options.log, connectionName: name });
    this.redis = this.connection.redis;
  }

  get prefix(): string {
    return this.options.prefix;
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.options.prefix });
      queue.on('error', (error) => this.options.log?.debug({ err: error, queue: name }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Queues created so far (for the queue dashboard and status). */
  knownQueues(): Queue[] {
    return [...this.queues.values()];
  }

  private queueEvents(name: string): Promise<QueueEvents> {
    let ready = this.events.get(name);
    if (!ready) {
      const events = new QueueEvents(name, { connection: this.connection.duplicate(), prefix: this.options.prefix });
      events.on('error', (error) => this.options.log?.debug({ err: error, queue: name }, 'queue events error'));
      events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, (w) => w.resolve(returnvalue)));
      events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, (w) => w.reject(decodeError(failedReason))));
      ready = events.waitUntilReady().then(() => events);
      this.events.set(name, ready);
    }
    return ready;
  }

  private settle(jobId: string, action: (waiter: Waiter) => void): void {
    const waiter = this.waiters.get(jobId);
    if (!waiter) return;
    this.waiters.delete(jobId);
    clearTimeout(waiter.timer);
    action(waiter);
  }

  /**
   * Adds a job and resolves with its return value (or rejects with its error) when a worker
   * finishes it, or when {@link fail} settles it first (the watchdog). The timer bounds everything,
   * adding included: a Redis that stops answering cannot hold the caller longer than `timeoutMs`.
   */
  request(queueName: string, data: unknown, options: { jobId: string; priority: number; timeoutMs: number }): Promise<unknown> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    const done = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(options.jobId);
        // Nobody waits for it any more: take it off the queue if no worker has it yet.
        void this.queue(queueName).remove(options.jobId).catch(() => undefined);
        reject(errors.timeout('Waiting for a worker', options.timeoutMs));
      }, Math.max(0, options.timeoutMs));
      this.waiters.set(options.jobId, { queue: queueName, added: false, resolve, reject, timer });
    });
    void (async () => {
      try {
        await this.queueEvents(queueName);
        await this.queue(queueName).add('request', data, {
          jobId: options.jobId,
          priority: options.priority,
          removeOnComplete: true,
          removeOnFail: true,
          attempts: 1,
        });
        const waiter = this.waiters.get(options.jobId);
        if (waiter) waiter.added = true;
      } catch (error) {
        this.settle(options.jobId, (w) => w.reject(errors.queueUnavailable(this.connection.status().target, (error as Error).message, 2)));
      }
    })();
    return done;
  }

  /** Synchronous requests still waited on (for the watchdog). */
  pendingRequests(): PendingRequest[] {
    return [...this.waiters].map(([jobId, w]) => ({ jobId, queue: w.queue, added: w.added }));
  }

  /** Ends the wait for a request with `error` (the watchdog found it lost, or nobody to run it). */
  fail(jobId: string, error: Error): void {
    this.settle(jobId, (w) => w.reject(error));
  }

  /** Ends the wait for a request with its result, read from Redis when its completion event was missed. */
  resolve(jobId: string, value: unknown): void {
    this.settle(jobId, (w) => w.resolve(value));
  }

  /** Adds a job nobody waits on (async jobs: their outcome goes to PostgreSQL). */
  async add(queueName: string, kind: JobKind, data: unknown, options: JobsOptions): Promise<void> {
    await this.queue(queueName).add(kind, data, options);
  }

  /** Jobs waiting in a queue at one priority (for backpressure: interactive and batch are limited apart). */
  async depth(queueName: string, priority: number): Promise<number> {
    const counts = await this.queue(queueName).getCountsPerPriority([priority]);
    return counts[String(priority)] ?? 0;
  }

  handle(kind: JobKind, handler: Handler): void {
    this.handlers.set(kind, handler);
  }

  /** Starts consuming `queueName` with up to `concurrency` jobs at once. */
  consume(queueName: string, concurrency: number): void {
    if (this.workers.has(queueName) || this.closed) return;
    const worker = new Worker(queueName, async (job) => {
      const handler = this.handlers.get(job.name as JobKind);
      if (!handler) throw new Error(encodeError(errors.internal(`no handler for ${job.name} jobs on this worker`)));
      return handler(job.data, job);
    }, {
      connection: this.connection.duplicate(),
      prefix: this.options.prefix,
      // Jobs this node takes record it (processedBy), so a waiting API node knows whom to watch.
      name: this.options.nodeId,
      concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      maxStalledCount: this.options.maxStalledCount,
    });
    worker.on('error', (error) => this.options.log?.debug({ err: error, queue: queueName }, 'worker error'));
    this.workers.set(queueName, worker);
  }

  consumedQueues(): string[] {
    return [...this.workers.keys()];
  }

  /** Stops taking jobs; resolves once the active ones have finished (BullMQ waits for them). */
  async stopConsuming(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close()));
  }

  /** Stops consuming: active jobs finish first (BullMQ waits for them); waiters fail with 503. */
  async close(): Promise<void> {
    this.closed = true;
    this.connection.markClosing();
    await this.stopConsuming();
    for (const [id, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(errors.shuttingDown());
      this.waiters.delete(id);
    }
    // A connection caught between two reconnection attempts never ends when BullMQ closes it
    // (ioredis 5.11 clears its retry timer and waits for an 'end' that never comes), so these
    // closes are bounded; the disconnect below ends every connection either way.
    const closing = Promise.all([
      ...[...this.events.values()].map((p) => p.then((e) => e.close(), () => undefined)),
      ...[...this.queues.values()].map((q) => q.close().catch(() => undefined)),
    ]);
    await Promise.race([closing, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref())]);
    this.connection.disconnect();
  }
}

/** Longest wait for BullMQ's queues and event listeners to close before their connections are cut. */
const CLOSE_WAIT_MS = 2_000;
