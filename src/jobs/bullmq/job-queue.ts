import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ArgusError, errors, type ErrorBody } from '../../errors.js';
import type { PostgresJobRecords } from './postgres-records.js';
import type { JobCounts, JobHandler, JobQueue, JobRecord, JobSpec, ProcessOptions } from '../types.js';
import { PRIORITY } from './dispatcher.js';
import { COMPOSITE_QUEUE, queueForModel, type BullmqTransport } from './transport.js';

export interface BullmqJobQueueOptions {
  transport: BullmqTransport;
  records: PostgresJobRecords;
  /** Finished jobs are kept (in PostgreSQL and in Redis) for this long. */
  retentionMs: number;
  /** Async jobs waiting per queue beyond which submissions get 429. @defaultValue unlimited */
  maxDepth?: number;
  /** Queues this node consumes once `process` is called (worker nodes), with their concurrency. */
  consume?: Array<{ queue: string; concurrency: number }>;
  onFinished?: (job: JobRecord) => void;
  log?: Logger;
}

/** The queue a job goes to: its model's, or the composite queue every worker node consumes. */
export function queueForJob(spec: Pick<JobSpec, 'model' | 'composite'>): string {
  return spec.composite || !spec.model ? COMPOSITE_QUEUE : queueForModel(spec.model);
}

/**
 * Async jobs in distributed mode: the record in PostgreSQL is the truth (state, result), BullMQ
 * carries the work to a worker node. Delivery is at least once; completion is exactly once (a
 * conditional update on the claim token). A reconciler re-adds jobs whose BullMQ entry was lost
 * (Redis restarted without having written it) and fails those BullMQ gave up on.
 */
export class BullmqJobQueue implements JobQueue {
  private reconciler?: NodeJS.Timeout;
  /** Jobs re-added and failed by {@link reconcile} since start (for metrics). */
  readonly reconciled = { readded: 0, failed: 0 };

  constructor(private readonly options: BullmqJobQueueOptions) {}

  private jobOptions(id: string) {
    const age = Math.ceil(this.options.retentionMs / 1000);
    return {
      jobId: id,
      priority: PRIORITY.batch,
      removeOnComplete: { age },
      removeOnFail: { age },
      // Retries only for failures of the machinery (PostgreSQL unreachable mid-job); a task's own
      // error is recorded as the job's outcome and does not retry.
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
    };
  }

  async submit(spec: JobSpec): Promise<JobRecord> {
    const { maxDepth, transport } = this.options;
    if (maxDepth !== undefined) {
      const depth = await transport.depth(queueForJob(spec), PRIORITY.batch);
      if (depth >= maxDepth) throw errors.queueFull(`queue ${queueForJob(spec)}`, depth, 10);
    }
    const record = await this.options.records.insert(spec);
    await this.options.transport.add(queueForJob(spec), 'job', { id: spec.id }, this.jobOptions(spec.id));
    return record;
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.options.records.get(id);
  }

  counts(): Promise<JobCounts> {
    return this.options.records.counts();
  }

  setProgress(id: string, progress: unknown): Promise<void> {
    return this.options.records.setProgress(id, progress);
  }

  process(handler: JobHandler, _options: ProcessOptions): void {
    const { transport } = this.options;
    transport.handle('job', (data) => this.runOne((data as { id: string }).id, handler));
    for (const { queue, concurrency } of this.options.consume ?? []) transport.consume(queue, concurrency);
  }

  private async runOne(id: string, handler: JobHandler): Promise<{ id: string; status: string }> {
    const { records } = this.options;
    const token = randomUUID();
    const claim = await records.claim(id, token);
    if (!claim) return { id, status: 'missing' }; // purged, or never recorded: nothing to do
    if (!claim.claimed) return { id, status: claim.record.status }; // already finished: delivered twice
    let outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; error: ErrorBody };
    try {
      outcome = { status: 'succeeded', result: await handler(claim.record) };
    } catch (error) {
      if (error instanceof ArgusError && error.code === 'shutting_down') {
        // This node is stopping: hand the job back; BullMQ retries it elsewhere.
        await records.release(id, token);
        throw error;
      }
      outcome = { status: 'failed', error: error instanceof ArgusError ? error.toJSON() : errors.internal((error as Error)?.message).toJSON() };
    }
    const finished = await records.finish(id, token, outcome);
    if (finished) this.options.onFinished?.(finished);
    return { id, status: finished ? finished.status : 'superseded' };
  }

  /**
   * Compares unfinished records older than `graceMs` with BullMQ: a job BullMQ no longer has is
   * added again; a job BullMQ failed (stalled too often) is failed with that reason.
   */
  async reconcile(graceMs: number): Promise<{ readded: number; failed: number }> {
    const { records, transport, log } = this.options;
    let readded = 0;
    let failed = 0;
    for (const record of await records.unfinished(Date.now() - graceMs)) {
      const queue = transport.queue(queueForJob(record));
      const state = await queue.getJobState(record.id);
      if (state === 'unknown') {
        await transport.add(queueForJob(record), 'job', { id: record.id }, this.jobOptions(record.id));
        readded++;
        log?.warn({ job: record.id, status: record.status }, 'job missing from the queue (Redis lost it); added again');
      } else if (state === 'failed') {
        const job = await queue.getJob(record.id);
        const body = { code: 'job_abandoned', message: `The job was given up: ${job?.failedReason ?? 'its worker stopped too many times'}.` };
        const updated = await records.failUnfinished(record.id, body);
        if (updated) {
          failed++;
          this.options.onFinished?.(updated);
        }
      }
    }
    this.reconciled.readded += readded;
    this.reconciled.failed += failed;
    return { readded, failed };
  }

  /** Runs reconciliation and retention cleanup every `intervalMs` (API nodes). */
  startMaintenance(intervalMs: number, graceMs: number, onPurged?: (inputKeys: string[]) => Promise<void>): void {
    const tick = async () => {
      try {
        await this.reconcile(graceMs);
        const keys = await this.options.records.purgeFinished(Date.now() - this.options.retentionMs);
        if (keys.length) await onPurged?.(keys);
        // BullMQ applies removeOnComplete's age only when a later job completes; clean explicitly.
        for (const queue of this.options.transport.knownQueues()) {
          await queue.clean(this.options.retentionMs, 1_000, 'completed');
          await queue.clean(this.options.retentionMs, 1_000, 'failed');
        }
      } catch (error) {
        this.options.log?.warn({ err: error }, 'job maintenance failed; will retry');
      }
    };
    this.reconciler = setInterval(() => void tick(), intervalMs);
    this.reconciler.unref();
  }

  async close(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
  }
}
