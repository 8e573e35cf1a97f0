import { randomUUID } from 'node:crypto';
import { errors } from '../../errors.js';
import type { Manifest } from '../../models/manifest.js';
import type { BlobStore } from '../../store/blobs.js';
import type { EvictResult, ModelRuntimeStatus } from '../../workers/manager.js';
import type { Dispatcher, DispatcherStatus, InferenceOutcome, InferenceRequest, Priority } from '../dispatcher.js';
import type { ControlBus, NodeRegistry } from './registry.js';
import { queueForModel, type BullmqTransport } from './transport.js';

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
}

export interface QueueDispatcherOptions {
  transport: BullmqTransport;
  registry: NodeRegistry;
  control: ControlBus;
  /** Where request images wait for their worker (Redis, with a TTL). */
  blobs: BlobStore;
  /** How long a request for a model no node serves waits for one to appear. */
  noWorkerWaitMs: number;
  /** Longest a request waits for its result. */
  timeoutMs: number;
  /** Waiting jobs per model queue beyond which requests get 429. */
  maxQueueDepth: number;
}

/**
 * Sends requests through BullMQ to whichever worker node serves the model, and awaits the
 * completion event. Used by API nodes, and by worker nodes for models they do not serve.
 */
export class QueueDispatcher implements Dispatcher {
  constructor(private readonly options: QueueDispatcherOptions) {}

  private async requireServed(alias: string): Promise<void> {
    const { registry, noWorkerWaitMs } = this.options;
    if (await registry.serves(alias)) return;
    // Nodes may be starting: look again, against fresh heartbeats, until the wait runs out.
    const deadline = Date.now() + noWorkerWaitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
      if (await registry.serves(alias, 0)) return;
    }
    throw errors.noWorker(alias);
  }

  async execute(request: InferenceRequest): Promise<InferenceOutcome> {
    const { transport, blobs } = this.options;
    const alias = request.manifest.alias;
    const queue = queueForModel(alias);
    await this.requireServed(alias);
    // Interactive requests overtake batch jobs, so only other interactive requests are ahead of this one.
    const depth = await transport.depth(queue, PRIORITY[request.priority]);
    if (depth >= this.options.maxQueueDepth) throw errors.queueFull(`model '${alias}'`, depth, 2);

    const id = randomUUID();
    const keys: string[] = [];
    const store = async (bytes: Uint8Array, n: number) => {
      const key = `${id}.${n}`;
      keys.push(key);
      await blobs.put(key, bytes);
      return key;
    };
    try {
      const data: RequestData = {
        model: alias,
        params: request.params,
        imageKey: request.input.image ? await store(request.input.image, 0) : undefined,
        imageKeys: request.input.images ? await Promise.all(request.input.images.map((b, i) => store(b, i + 1))) : undefined,
        text: request.input.text,
        priority: request.priority,
      };
      const sent = performance.now();
      const outcome = (await transport.request(queue, data, { jobId: id, priority: PRIORITY[request.priority], timeoutMs: this.options.timeoutMs })) as InferenceOutcome;
      // Time on the queue and on the wire counts as queueing: what the worker did not spend computing.
      const t = outcome.timings;
      const worked = t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms + t.queue_ms;
      const hop = Math.max(0, performance.now() - sent - worked);
      return { ...outcome, timings: { ...t, queue_ms: Math.round((t.queue_ms + hop) * 100) / 100 } };
    } finally {
      await Promise.all(keys.map((k) => blobs.delete(k).catch(() => undefined)));
    }
  }

  async status(): Promise<DispatcherStatus> {
    const nodes = await this.options.registry.nodes(0);
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
    return Promise.resolve();
  }
}
