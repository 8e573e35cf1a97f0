import type { Logger } from 'pino';
import { errors } from '../../errors.js';
import type { NodeLiveness } from './liveness.js';
import type { BullmqTransport, PendingRequest } from './transport.js';
import type { Verdict } from '../distributed.js';

export interface RequestWatchdogOptions {
  transport: BullmqTransport;
  liveness: NodeLiveness;
  /** How often the waiting requests are looked at. @defaultValue 1000 */
  intervalMs: number;
  /** How long a request may wait with no live node serving its model before 503 no_worker. */
  noWorkerWaitMs: number;
  /** How long requests wait for a dropped Redis connection to come back before 503 queue_unavailable. */
  outageWaitMs: number;
  /**
   * After this node (re)connects, how long the other nodes are given to reconnect too before
   * their absence counts as death. @defaultValue a heartbeat interval plus a second
   */
  settleMs: number;
  log?: Logger;
}

export type { Verdict };

/** The model whose queue a request waits in (`m.<alias>`). */
function modelOf(queue: string): string {
  return queue.startsWith('m.') ? queue.slice(2) : queue;
}

/** Consecutive looks at a job Redis does not have before it counts as lost (its completion event may be on the way). */
const LOST_AFTER_LOOKS = 2;

/**
 * Keeps every synchronous request's wait bounded: a request only waits while some live node can
 * answer it. Each `intervalMs` it looks at the waiting requests in Redis and ends the wait of one
 * - whose job Redis no longer has (restarted empty, failed over to a replica that never got it):
 *   request_lost, which the dispatcher re-sends;
 * - held (active) by a node that is dead (see {@link NodeLiveness}): marked abandoned, so the
 *   dead node's copy is skipped if BullMQ ever hands it out again, and request_lost (re-sent);
 * - still waiting while no live node serves its model for `noWorkerWaitMs`: taken off the queue,
 *   503 no_worker with Retry-After;
 * - whose Redis connection has been down for `outageWaitMs`: 503 queue_unavailable.
 */
export class RequestWatchdog {
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly notes = new Map<string, { unknown: number; noNodeSince?: number }>();
  private readonly listeners: Array<(verdict: Verdict, model: string) => void> = [];

  constructor(private readonly options: RequestWatchdogOptions) {}

  /** Called with each request the watchdog ends (for metrics). */
  onVerdict(listener: (verdict: Verdict, model: string) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private end(request: PendingRequest, verdict: Verdict, error: Error): void {
    this.notes.delete(request.jobId);
    this.options.transport.fail(request.jobId, error);
    for (const listener of this.listeners) listener(verdict, modelOf(request.queue));
    // info: the dispatcher warns of a re-send, and the HTTP log of a 503.
    this.options.log?.info({ request: request.jobId, model: modelOf(request.queue), verdict, reason: error.message }, `sync request ${request.jobId} ended by the watchdog (${verdict})`);
  }

  /** One look at every waiting request (exported for tests; the timer calls it). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.look();
    } catch (error) {
      // Redis answered badly or dropped mid-look: the next look tries again.
      this.options.log?.debug({ err: error }, 'sync request watchdog: look failed');
    } finally {
      this.checking = false;
    }
  }

  private async look(): Promise<void> {
    const { transport, liveness, outageWaitMs, noWorkerWaitMs, settleMs } = this.options;
    const pending = transport.pendingRequests();
    for (const id of this.notes.keys()) if (!pending.some((p) => p.jobId === id)) this.notes.delete(id);
    if (!pending.length) return;
    const connection = transport.connection;
    if (!connection.connected) {
      if (connection.downForMs() < outageWaitMs) return;
      const { target, last_error: reason } = connection.status();
      for (const request of pending) this.end(request, 'outage', errors.queueUnavailable(target, reason ?? 'connection lost', 2));
      return;
    }
    const added = pending.filter((p) => p.added);
    if (!added.length) return;
    const states = await Promise.all(added.map((p) => transport.queue(p.queue).getJobState(p.jobId)));
    // Just (re)connected: the nodes are reconnecting and re-announcing too; do not take their
    // absence for death yet.
    const settled = connection.upForMs() >= settleMs;
    const snapshot = settled ? await liveness.snapshot() : undefined;
    await Promise.all(added.map(async (request, i) => {
      const note = this.notes.get(request.jobId) ?? { unknown: 0 };
      this.notes.set(request.jobId, note);
      const state = states[i];
      if (state === 'unknown') {
        if (++note.unknown >= LOST_AFTER_LOOKS) this.end(request, 'lost', errors.requestLost('the queue no longer has it (Redis restarted or failed over without it)', 'lost'));
        return;
      }
      note.unknown = 0;
      if (!snapshot) return;
      if (state === 'active') {
        note.noNodeSince = undefined;
        const job = await transport.queue(request.queue).getJob(request.jobId);
        const holder = job?.processedBy;
        if (!job || !holder || snapshot.alive(holder)) return;
        // Its copy stays in Redis until BullMQ sees the lock expire; if it is then handed out
        // again, the worker node skips it.
        await job.updateData({ ...(job.data as object), abandoned: true }).catch(() => undefined);
        this.end(request, 'node_dead', errors.requestLost(`worker node ${holder} stopped while running it`, 'node_dead', holder));
        return;
      }
      if (state === 'completed' || state === 'failed') return; // its event is on the way
      // waiting, prioritized, delayed: is anyone alive to take it?
      if (snapshot.serves(modelOf(request.queue))) {
        note.noNodeSince = undefined;
        return;
      }
      note.noNodeSince ??= Date.now();
      if (Date.now() - note.noNodeSince < noWorkerWaitMs) return;
      // remove() refuses a job a worker has just locked: then someone did take it after all.
      const removed = await transport.queue(request.queue).remove(request.jobId);
      if (removed) this.end(request, 'no_worker', errors.noWorker(modelOf(request.queue)));
    }));
  }
}
