/**
 * The metrics of distributed mode, on an API node's `/metrics`: its Redis connection, what waits
 * in each model's queue (what an autoscaler scales worker nodes on), every worker node's worker
 * processes, and the sync requests the watchdog re-sent or ended. Gauges are read from Redis when
 * scraped, and left empty while Redis is unreachable (a scrape must not hang on it).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeInfo, QueueBacklog, QueueConnectionStatus, Resend } from '../jobs/distributed.js';

export interface DistributedMetricsSources {
  connection: () => QueueConnectionStatus;
  /** The backlog of every model queue (and the composite one). */
  backlog: () => Promise<QueueBacklog[]>;
  /** Live worker nodes, as their heartbeats announce them. */
  nodes: () => Promise<NodeInfo[]>;
  /** Jobs the reconciler added again (Redis lost them) and failed (BullMQ gave up), since start. */
  reconciled: () => { readded: number; failed: number };
  /** Registers listeners for sync requests re-sent, and for every request the watchdog ended. */
  onResend: (listener: (resend: Resend) => void) => void;
  onVerdict: (listener: (verdict: Resend) => void) => void;
}

/** `m.<alias>` → alias; the composite queue keeps its name. */
function modelOf(queue: string): string {
  return queue.startsWith('m.') ? queue.slice(2) : queue;
}

export function registerDistributedMetrics(registry: Registry, sources: DistributedMetricsSources): void {
  const registers = [registry];
  const connected = () => sources.connection().state === 'connected';
  new Gauge({
    name: 'argus_queue_connected', help: '1 while this node is connected to Redis (the queue), 0 while it reconnects.', registers,
    collect() {
      this.set(connected() ? 1 : 0);
    },
  });
  new Counter({
    name: 'argus_queue_connection_drops_total', help: 'Times this node lost its Redis connection.', registers,
    collect() {
      this.reset();
      this.inc(sources.connection().drops);
    },
  });
  // One backlog read serves every backlog gauge of a scrape.
  let pending: Promise<QueueBacklog[]> | undefined;
  const backlog = () => (pending ??= sources.backlog().finally(() => setTimeout(() => (pending = undefined), 0)));
  const backlogGauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, b: QueueBacklog) => void) =>
    new Gauge({
      name, help, labelNames, registers,
      async collect() {
        this.reset();
        if (!connected()) return;
        for (const b of await backlog()) fill(this, b);
      },
    });
  backlogGauge('argus_queue_waiting', 'Items waiting in a model\'s queue for a worker node: interactive (sync requests) and batch (async jobs).', ['model', 'priority'], (g, b) => {
    g.set({ model: modelOf(b.queue), priority: 'interactive' }, b.waiting.interactive);
    g.set({ model: modelOf(b.queue), priority: 'batch' }, b.waiting.batch);
  });
  backlogGauge('argus_queue_oldest_waiting_seconds', 'Age of the oldest item waiting in a model\'s queue (0 when none waits).', ['model', 'priority'], (g, b) => {
    g.set({ model: modelOf(b.queue), priority: 'interactive' }, b.oldestS.interactive);
    g.set({ model: modelOf(b.queue), priority: 'batch' }, b.oldestS.batch);
  });
  backlogGauge('argus_queue_active', 'Items of a model\'s queue being run by worker nodes now.', ['model'], (g, b) => g.set({ model: modelOf(b.queue) }, b.active));

  let nodesPending: Promise<NodeInfo[]> | undefined;
  const nodes = () => (nodesPending ??= sources.nodes().finally(() => setTimeout(() => (nodesPending = undefined), 0)));
  const nodeGauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, n: NodeInfo) => void) =>
    new Gauge({
      name, help, labelNames, registers,
      async collect() {
        this.reset();
        if (!connected()) return;
        for (const n of await nodes()) fill(this, n);
      },
    });
  nodeGauge('argus_node_worker_processes', 'Model worker processes on each worker node, busy or idle.', ['node', 'model', 'state'], (g, n) => {
    for (const w of n.workers) g.inc({ node: n.id, model: w.model, state: w.busy ? 'busy' : 'idle' });
  });
  nodeGauge('argus_node_slots', 'Jobs of a model each worker node takes at once (its queue concurrency).', ['node', 'model'], (g, n) => {
    for (const [model, slots] of Object.entries(n.slots ?? {})) g.set({ node: n.id, model }, slots);
  });
  nodeGauge('argus_nodes', 'Live worker nodes serving each model (draining ones excluded).', ['model'], (g, n) => {
    if (n.draining) return;
    for (const model of n.models) g.inc({ model });
  });

  new Counter({
    name: 'argus_jobs_reconciled_total', help: 'Async jobs the reconciler added to the queue again (readded: Redis lost them) or failed (failed: BullMQ gave up on them).',
    labelNames: ['action'] as const, registers,
    collect() {
      this.reset();
      const { readded, failed } = sources.reconciled();
      this.inc({ action: 'readded' }, readded);
      this.inc({ action: 'failed' }, failed);
    },
  });
  const resends = new Counter({
    name: 'argus_sync_resends_total', help: 'Sync requests sent again: lost (Redis no longer had the job) or node_dead (the node holding it died).',
    labelNames: ['model', 'reason'] as const, registers,
  });
  sources.onResend((r) => resends.inc({ model: r.model, reason: r.reason }));
  const verdicts = new Counter({
    name: 'argus_sync_watchdog_total', help: 'Sync requests whose wait the watchdog ended: lost, node_dead (both re-sent while re-sends remain), no_worker, outage (503).',
    labelNames: ['model', 'verdict'] as const, registers,
  });
  sources.onVerdict((v) => verdicts.inc({ model: v.model, verdict: v.reason }));
}
