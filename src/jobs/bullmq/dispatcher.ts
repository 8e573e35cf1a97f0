import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ArgusError, errors } from '../../errors.js';
import type { Manifest } from '../../models/manifest.js';
import type { BlobStore } from '../../store/blobs.js';
import type { Dispatcher, DispatcherStatus, EvictResult, InferenceOutcome, InferenceRequest, ModelRuntimeStatus, Priority } from '../../dispatch/types.js';
import type { NodeLiveness } from './liveness.js';
import type { ControlBus, NodeRegistry } from './registry.js';
import { RequestWatchdog, type Verdict } from './request-watchdog.js';
import { queueForModel, type BullmqTransport } from './transport.js';
import { round2 } from '../../numbers.js';
import type { Resend } from '../distributed.js';

/** BullMQ priorities: lower runs first. Interactive (sync) requests overtake batch (async) work. */
export const PRIORITY: Record<Priority, number> = { interactive: 1, batch: 10 };

/** What a worker node is sent for one synchronous request: everything but the bytes, which go by key. */
export interface RequestData {
  model: string;
  params: unknown;
  imageKey?: string;
  imageKeys?: string[];
  text?: string;
  priority: Priority;
  /** Set by the API node when it re-sent the request elsewhere: a node handed this copy skips it. */
  abandoned?: boolean;
}

export interface QueueDispatcherOptions {
  transport: BullmqTransport;
  registry: NodeRegistry;
  liveness: NodeLiveness;
  control: ControlBus;
  /** Where request images wait for their worker (Redis, with a TTL). */
  blobs: BlobStore;
  /** How long a request for a model no node serves waits for one to appear. */
  noWorkerWaitMs: number;
  /** Longest a request waits for its result, re-sends included. */
  timeoutMs: number;
  /** Waiting jobs per model queue beyond which requests get 429. */
  maxQueueDepth: number;
  /** How often waiting requests are checked for lost jobs and dead nodes. @defaultValue 1000 */
  checkIntervalMs?: number;
  /** How long a request waits for a dropped Redis connection to return before 503. @defaultValue 10000 */
  outageWaitMs?: number;
  /** The worker nodes' heartbeat interval: after a reconnection they get this (plus 1 s) to come back. @defaultValue 2000 */
  heartbeatIntervalMs?: number;
  /** Times a lost request is sent again before the client gets 503 request_lost. @defaultValue 2 */
  maxResends?: number;
  log?: Logger;
}

export type { Resend };

/**
 * Sends requests through BullMQ to whichever worker node serves the model, and awaits the
 * completion event. Used by API nodes, and by worker nodes for models they do not serve.
 * Every wait is bounded (see {@link RequestWatchdog}): a request lost with Redis, or held by a
 * node that died, is sent again with the bytes this node still holds.
 */
export class QueueDispatcher implements Dispatcher {
  readonly events = new EventEmitter<{ resend: [Resend]; verdict: [Resend] }>();
  private readonly watchdog: RequestWatchdog;

  constructor(private readonly options: QueueDispatcherOptions) {
    this.watchdog = new RequestWatchdog({
      transport: options.transport,
      liveness: options.liveness,
      intervalMs: options.checkIntervalMs ?? 1_000,
      noWorkerWaitMs: options.noWorkerWaitMs,
      outageWaitMs: options.outageWaitMs ?? 10_000,
      settleMs: (options.heartbeatIntervalMs ?? 2_000) + 1_000,
      log: options.log,
    });
    this.watchdog.onVerdict((reason, model) => this.events.emit('verdict', { reason, model }));
    this.watchdog.start();
  }

  private requireConnected(): void {
    const connection = this.options.transport.connection;
    if (connection.connected) return;
    const { target, last_error: reason } = connection.status();
    throw errors.queueUnavailable(target, reason ?? 'not connected', 2);
  }

  /**
   * Awaits `work` (a Redis command), but no longer than `deadline`, nor than `outageWaitMs` of a
   * dropped connection: ioredis holds commands while it reconnects, however long that takes.
   */
  private guard<T>(work: Promise<T>, deadline: number): Promise<T> {
    const connection = this.options.transport.connection;
    const outageWaitMs = this.options.outageWaitMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      let outage: NodeJS.Timeout | undefined;
      const finish = (action: () => void) => {
        clearTimeout(outage);
        clearTimeout(timer);
        connection.off('change', watch);
        action();
      };
      const watch = () => {
        if (connection.connected) {
          clearTimeout(outage);
          outage = undefined;
        } else if (!outage) {
          outage = setTimeout(() => {
            const { target, last_error: reason } = connection.status();
            finish(() => reject(errors.queueUnavailable(target, reason ?? 'connection lost', 2)));
          }, Math.max(0, outageWaitMs - connection.downForMs()));
        }
      };
      const timer = setTimeout(() => finish(() => reject(errors.timeout('Waiting for the queue', this.options.timeoutMs))), Math.max(0, deadline - Date.now()));
      connection.on('change', watch);
      watch();
      work.then((value) => finish(() => resolve(value)), (error: unknown) => finish(() => reject(error)));
    });
  }

  private async requireServed(alias: string): Promise<void> {
    const { liveness, noWorkerWaitMs } = this.options;
    if ((await liveness.snapshot(1_000, 500)).serves(alias)) return;
    // Nodes may be starting: look again, against fresh heartbeats, until the wait runs out.
    const deadline = Date.now() + noWorkerWaitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
      if ((await liveness.snapshot(250)).serves(alias)) return;
    }
    throw errors.noWorker(alias);
  }

  /** Puts the request's images in Redis under `id.n` (again on a re-send: Redis may have lost them). */
  private async prepare(request: InferenceRequest, id: string, keys: Set<string>): Promise<RequestData> {
    const { blobs } = this.options;
    const store = async (bytes: Uint8Array, n: number) => {
      const key = `${id}.${n}`;
      keys.add(key);
      await blobs.put(key, bytes);
      return key;
    };
    return {
      model: request.manifest.alias,
      params: request.params,
      imageKey: request.input.image ? await store(request.input.image, 0) : undefined,
      imageKeys: request.input.images ? await Promise.all(request.input.images.map((b, i) => store(b, i + 1))) : undefined,
      text: request.input.text,
      priority: request.priority,
    };
  }

  async execute(request: InferenceRequest): Promise<InferenceOutcome> {
    const { transport, blobs, log } = this.options;
    const alias = request.manifest.alias;
    const queue = queueForModel(alias);
    const deadline = Date.now() + this.options.timeoutMs;
    this.requireConnected();
    await this.guard(this.requireServed(alias), deadline);
    // Interactive requests overtake batch jobs, so only other interactive requests are ahead of this one.
    const depth = await this.guard(transport.depth(queue, PRIORITY[request.priority]), deadline);
    if (depth >= this.options.maxQueueDepth) throw errors.queueFull(`model '${alias}'`, depth, 2);

    const id = randomUUID();
    const keys = new Set<string>();
    const maxResends = this.options.maxResends ?? 2;
    try {
      for (let attempt = 1; ; attempt++) {
        const data = await this.guard(this.prepare(request, id, keys), deadline);
        const jobId = attempt === 1 ? id : `${id}.r${attempt}`;
        const sent = performance.now();
        let outcome: InferenceOutcome;
        try {
          outcome = (await transport.request(queue, data, { jobId, priority: PRIORITY[request.priority], timeoutMs: deadline - Date.now() })) as InferenceOutcome;
        } catch (error) {
          const lost = error instanceof ArgusError && error.code === 'request_lost';
          if (!lost || attempt > maxResends || Date.now() >= deadline) throw error;
          log?.warn({ request: id, model: alias, attempt: attempt + 1, reason: error.message }, `re-sending sync request ${id}: ${error.message}`);
          this.events.emit('resend', { model: alias, reason: (error.details as { cause: Verdict }).cause });
          continue;
        }
        // Time on the queue and on the wire counts as queueing: what the worker did not spend computing.
        const t = outcome.timings;
        const worked = t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms + t.queue_ms;
        const hop = Math.max(0, performance.now() - sent - worked);
        return { ...outcome, timings: { ...t, queue_ms: round2(t.queue_ms + hop) } };
      }
    } finally {
      // The answer does not wait for these: the worker has read the images, and a delete that
      // fails leaves them to their TTL.
      for (const key of keys) void blobs.delete(key).catch(() => undefined);
    }
  }

  async status(): Promise<DispatcherStatus> {
    const { registry, transport } = this.options;
    // /healthz and /v1/system/status must answer while Redis is away: the last nodes seen, then.
    const nodes = transport.connection.connected
      ? await this.guard(registry.nodes(0), Date.now() + 2_000).catch(() => registry.lastKnown())
      : registry.lastKnown();
    const models = new Map<string, ModelRuntimeStatus>();
    for (const node of nodes) {
      for (const m of node.loaded) {
        const seen = models.get(m.alias);
        models.set(m.alias, seen
          ? { ...seen, workers: seen.workers + m.workers, queued: seen.queued + m.queued, rss_mb: seen.rss_mb + m.rss_mb, loads: seen.loads + m.loads, state: seen.state === 'ready' ? 'ready' : m.state }
          : m);
      }
    }
    const memory = nodes.reduce((sum, n) => ({
      total_mb: sum.total_mb + n.memory.total_mb,
      free_mb: sum.free_mb + n.memory.free_mb,
      budget_mb: sum.budget_mb + n.memory.budget_mb,
      used_by_workers_mb: sum.used_by_workers_mb + n.memory.used_by_workers_mb,
      api_rss_mb: sum.api_rss_mb,
    }), { total_mb: 0, free_mb: 0, budget_mb: 0, used_by_workers_mb: 0, api_rss_mb: Math.round(process.memoryUsage.rss() / 1048576) });
    return {
      models: [...models.values()],
      workers: nodes.flatMap((n) => n.workers.map((w) => ({ ...w, node: n.id, host: n.host }))),
      memory,
    };
  }

  async load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    this.requireConnected();
    await this.requireServed(manifest.alias);
    const nodes = (await this.options.registry.nodes(0)).filter((n) => n.models.includes(manifest.alias));
    const replies = await this.options.control.request<ModelRuntimeStatus>({ op: 'load', alias: manifest.alias }, nodes.length, this.options.timeoutMs);
    if (!replies.length) throw errors.noWorker(manifest.alias);
    return replies[0];
  }

  async evict(alias: string, force: boolean): Promise<EvictResult> {
    const nodes = (await this.options.registry.nodes(0)).filter((n) => n.models.includes(alias));
    if (!nodes.length) return { alias, stopped: 0, freed_mb: 0 };
    const replies = await this.options.control.request<EvictResult | { error: { code: string; message: string } }>({ op: 'evict', alias, force }, nodes.length, 5_000);
    const busy = replies.find((r): r is { error: { code: string; message: string } } => 'error' in r);
    if (busy && !force) throw errors.conflict(busy.error.message);
    const done = replies.filter((r): r is EvictResult => !('error' in r));
    return { alias, stopped: done.reduce((n, r) => n + r.stopped, 0), freed_mb: done.reduce((n, r) => n + r.freed_mb, 0) };
  }

  close(): Promise<void> {
    this.watchdog.stop();
    return Promise.resolve();
  }
}
