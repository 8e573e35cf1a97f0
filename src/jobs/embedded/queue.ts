import { randomUUID } from 'node:crypto';
import { ArgusError, errors, type ErrorBody } from '../../errors.js';
import type { SqliteDatabase } from '../../store/sqlite/database.js';
import type { JobCounts, JobHandler, JobQueue, JobRecord, JobSpec, JobStatus, JobWatcher, ProcessOptions } from '../types.js';

/** Pause before refilling a slot whose job was handed back with `shutting_down` while the queue runs. */
const RELEASE_RETRY_MS = 1000;

export interface EmbeddedQueueOptions {
  /** A claimed job whose lease is not renewed for this long goes back to the queue. */
  leaseMs: number;
  /** A job claimed this many times without finishing fails instead of running again. */
  maxAttempts?: number;
  /** Queued jobs beyond which submissions get 429. @defaultValue unlimited */
  maxDepth?: number;
  /** Finished jobs older than this are deleted (with their kept uploads, through onPurged). */
  retentionMs?: number;
  onPurged?: (inputKeys: string[]) => void;
  /** Called after a job reaches a final state (for cleanup of its input, metrics, events). */
  onFinished?: (job: JobRecord) => void;
  /** Reports errors of the background loop (they never stop it). */
  onError?: (error: unknown) => void;
}

interface Row {
  id: string;
  task: string;
  model: string;
  params: string;
  input_key: string;
  input_text: string | null;
  owner: string;
  status: JobStatus;
  attempts: number;
  claim_token: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  error: string | null;
  progress: string | null;
}

function toRecord(row: Row): JobRecord {
  return {
    id: row.id,
    task: row.task,
    model: row.model,
    params: JSON.parse(row.params),
    inputKey: row.input_key,
    text: row.input_text ?? undefined,
    owner: row.owner,
    status: row.status,
    attempts: row.attempts,
    created_at: row.created_at,
    started_at: row.started_at ?? undefined,
    finished_at: row.finished_at ?? undefined,
    result: row.result === null ? undefined : JSON.parse(row.result),
    error: row.error === null ? undefined : (JSON.parse(row.error) as ErrorBody),
    progress: row.progress === null ? undefined : JSON.parse(row.progress),
  };
}

/**
 * The embedded queue: jobs in SQLite (WAL), claimed with a lease and a claim token. A job whose
 * runner dies is re-queued when its lease expires; completion is conditional on the claim token,
 * so each job's result is recorded exactly once.
 */
export class EmbeddedQueue implements JobQueue {
  private readonly statements;
  private handler?: JobHandler;
  private concurrency = 0;
  private readonly running = new Map<string, string>(); // job id → claim token
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly watchers = new Set<JobWatcher>();

  constructor(private readonly db: SqliteDatabase, private readonly options: EmbeddedQueueOptions) {
    this.statements = {
      insert: db.prepare(`INSERT INTO jobs (id, task, model, params, input_key, input_text, owner, status, created_at)
        VALUES (@id, @task, @model, @params, @input_key, @input_text, @owner, 'queued', @created_at)`),
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      claim: db.prepare(`UPDATE jobs SET status = 'running', claim_token = @token, attempts = attempts + 1,
          lease_until = @lease_until, started_at = @now
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1)
        RETURNING *`),
      renew: db.prepare(`UPDATE jobs SET lease_until = @lease_until WHERE id = @id AND claim_token = @token`),
      progress: db.prepare(`UPDATE jobs SET progress = @progress WHERE id = @id AND status = 'running'`),
      finish: db.prepare(`UPDATE jobs SET status = @status, result = @result, error = @error, finished_at = @now,
          claim_token = NULL, lease_until = NULL
        WHERE id = @id AND claim_token = @token AND status = 'running'`),
      release: db.prepare(`UPDATE jobs SET status = 'queued', claim_token = NULL, lease_until = NULL
        WHERE id = @id AND claim_token = @token AND status = 'running'`),
      expired: db.prepare(`SELECT * FROM jobs WHERE status = 'running' AND lease_until < ?`),
      requeue: db.prepare(`UPDATE jobs SET status = 'queued', claim_token = NULL, lease_until = NULL
        WHERE id = @id AND claim_token IS @token AND status = 'running'`),
      failStale: db.prepare(`UPDATE jobs SET status = 'failed', error = @error, finished_at = @now, claim_token = NULL, lease_until = NULL
        WHERE id = @id AND claim_token IS @token AND status = 'running'`),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status'),
      countQueued: db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'`),
      purge: db.prepare(`DELETE FROM jobs WHERE finished_at < ? RETURNING input_key`),
    };
  }

  async submit(spec: JobSpec): Promise<JobRecord> {
    if (this.options.maxDepth !== undefined) {
      const queued = (this.statements.countQueued.get() as { n: number }).n;
      if (queued >= this.options.maxDepth) throw errors.queueFull('the job queue', queued, 10);
    }
    this.statements.insert.run({
      id: spec.id,
      task: spec.task,
      model: spec.model,
      params: JSON.stringify(spec.params ?? {}),
      input_key: spec.inputKey,
      input_text: spec.text ?? null,
      owner: spec.owner ?? '',
      created_at: Date.now(),
    });
    setImmediate(() => this.fill());
    const record = toRecord(this.statements.get.get(spec.id) as Row);
    this.emit(record);
    return record;
  }

  watch(listener: JobWatcher): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Tells watchers about a state change; a watcher's error must not break the queue's loop. */
  private emit(job: JobRecord | string): void {
    if (this.watchers.size === 0) return;
    const record = typeof job === 'string' ? this.recordOf(job) : job;
    if (!record) return;
    for (const watcher of this.watchers) {
      try {
        watcher(record);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private recordOf(id: string): JobRecord | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.recordOf(id);
  }

  async setProgress(id: string, progress: unknown): Promise<void> {
    this.statements.progress.run({ id, progress: JSON.stringify(progress) });
  }

  async counts(): Promise<JobCounts> {
    const counts: JobCounts = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const { status, n } of this.statements.counts.all() as Array<{ status: JobStatus; n: number }>) counts[status] = n;
    return counts;
  }

  process(handler: JobHandler, options: ProcessOptions): void {
    this.handler = handler;
    this.concurrency = options.concurrency;
    const { leaseMs } = this.options;
    this.timers.push(
      setInterval(() => this.renewLeases(), Math.max(50, Math.floor(leaseMs / 3))),
      setInterval(() => this.requeueExpired(), Math.max(100, Math.floor(leaseMs / 2))),
      setInterval(() => this.purgeFinished(), 60_000),
    );
    for (const timer of this.timers) timer.unref();
    this.requeueExpired(options.exclusive ? Number.MAX_SAFE_INTEGER : Date.now());
    this.fill();
  }

  /**
   * Hands jobs back whose runner stopped renewing their lease (it crashed, or its process was
   * killed). A job that has used up its attempts fails with that reason instead.
   */
  requeueExpired(now = Date.now()): number {
    let requeued = 0;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (const row of this.statements.expired.all(now) as Row[]) {
      if (this.running.has(row.id)) continue; // ours and alive: renewLeases will catch up
      const args = { id: row.id, token: row.claim_token };
      if (row.attempts >= maxAttempts) {
        const error = { code: 'job_abandoned', message: `The job was started ${row.attempts} times and its runner stopped each time; it will not be retried.` };
        if (this.statements.failStale.run({ ...args, error: JSON.stringify(error), now }).changes) {
          const failed = toRecord(this.statements.get.get(row.id) as Row);
          this.emit(failed);
          this.options.onFinished?.(failed);
        }
      } else if (this.statements.requeue.run(args).changes) {
        requeued++;
        this.emit(row.id);
      }
    }
    if (requeued) this.fill();
    return requeued;
  }

  /** Deletes finished jobs past the retention period; returns how many. */
  purgeFinished(now = Date.now()): number {
    if (!this.options.retentionMs) return 0;
    const rows = this.statements.purge.all(now - this.options.retentionMs) as Array<{ input_key: string }>;
    const keys = rows.map((r) => r.input_key).filter(Boolean);
    if (keys.length) this.options.onPurged?.(keys);
    return rows.length;
  }

  private renewLeases(): void {
    const leaseUntil = Date.now() + this.options.leaseMs;
    for (const [id, token] of this.running) this.statements.renew.run({ id, token, lease_until: leaseUntil });
  }

  private fill(): void {
    if (!this.handler || this.closed) return;
    while (this.running.size < this.concurrency) {
      const token = randomUUID();
      const now = Date.now();
      const row = this.statements.claim.get({ token, now, lease_until: now + this.options.leaseMs }) as Row | undefined;
      if (!row) return;
      this.running.set(row.id, token);
      const job = toRecord(row);
      this.emit(job);
      void this.runOne(job, token);
    }
  }

  private async runOne(job: JobRecord, token: string): Promise<void> {
    const handler = this.handler!;
    let outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; error: ErrorBody } | { status: 'released' };
    try {
      outcome = { status: 'succeeded', result: await handler(job) };
    } catch (error) {
      if (this.closed || (error instanceof ArgusError && error.code === 'shutting_down')) {
        outcome = { status: 'released' };
      } else {
        const body = error instanceof ArgusError ? error.toJSON() : errors.internal((error as Error)?.message).toJSON();
        outcome = { status: 'failed', error: body };
      }
    }
    try {
      if (outcome.status === 'released') {
        if (this.statements.release.run({ id: job.id, token }).changes) this.emit(job.id);
      } else {
        const changes = this.statements.finish.run({
          id: job.id,
          token,
          status: outcome.status,
          result: outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null,
          error: outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
          now: Date.now(),
        }).changes;
        // changes === 0: our lease expired and the job was handed to another runner; its result wins.
        if (changes) {
          const finished = toRecord(this.statements.get.get(job.id) as Row);
          this.emit(finished);
          this.options.onFinished?.(finished);
        }
      }
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.running.delete(job.id);
      // A job handed back while this queue keeps running (its workers are stopping) is the oldest
      // queued one and would be claimed again at once; claimed and released in microtasks, that
      // loop never yields and starves the event loop. Pause before taking the slot again.
      if (outcome.status === 'released' && !this.closed) setTimeout(() => this.fill(), RELEASE_RETRY_MS).unref();
      else this.fill();
    }
  }

  async close(graceMs = 0): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    // Jobs still running go back to the queue for the next start.
    for (const [id, token] of this.running) this.statements.release.run({ id, token });
    this.running.clear();
  }
}
