import type { ErrorBody } from '../../errors.js';
import type { PgPool } from '../../store/postgres/database.js';
import type { JobCounts, JobRecord, JobSpec, JobStatus } from '../types.js';

interface Row {
  id: string;
  task: string;
  model: string;
  params: unknown;
  input_key: string;
  input_text: string | null;
  composite: boolean;
  owner: string;
  status: JobStatus;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: unknown;
  error: ErrorBody | null;
  progress?: unknown;
}

const num = (v: string | null) => (v === null ? undefined : Number(v));

function toRecord(row: Row): JobRecord {
  return {
    id: row.id,
    task: row.task,
    model: row.model,
    params: row.params,
    inputKey: row.input_key,
    text: row.input_text ?? undefined,
    composite: row.composite,
    owner: row.owner,
    status: row.status,
    attempts: row.attempts,
    created_at: Number(row.created_at),
    started_at: num(row.started_at),
    finished_at: num(row.finished_at),
    result: row.result ?? undefined,
    error: row.error ?? undefined,
    progress: row.progress ?? undefined,
  };
}

/**
 * Job records in PostgreSQL, the source of truth for async jobs in distributed mode. Every state
 * change is one conditional UPDATE, so concurrent nodes cannot both win a claim or both finish.
 */
export class PostgresJobRecords {
  constructor(private readonly pool: PgPool) {}

  /** Records a running job's progress (migration 041); finished or unknown jobs are left alone. */
  async setProgress(id: string, progress: unknown): Promise<void> {
    await this.pool.query(`UPDATE jobs SET progress = $2 WHERE id = $1 AND status = 'running'`, [id, JSON.stringify(progress)]);
  }

  async insert(spec: JobSpec): Promise<JobRecord> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO jobs (id, task, model, params, input_key, input_text, composite, owner, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9) RETURNING *`,
      [spec.id, spec.task, spec.model, JSON.stringify(spec.params ?? {}), spec.inputKey, spec.text ?? null, spec.composite ?? false, spec.owner ?? '', Date.now()],
    );
    return toRecord(rows[0]);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM jobs WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Takes a job for a run under `token`. A job already finished is returned as it is (the caller
   * must not run it again); a job running under another token is taken over, since BullMQ only
   * redelivers a job whose previous worker stopped holding its lock.
   */
  async claim(id: string, token: string): Promise<{ record: JobRecord; claimed: boolean } | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE jobs SET status = 'running', claim_token = $2, attempts = attempts + 1, started_at = $3
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
      [id, token, Date.now()],
    );
    if (rows[0]) return { record: toRecord(rows[0]), claimed: true };
    const existing = await this.get(id);
    return existing && { record: existing, claimed: false };
  }

  /** Records the outcome if `token` still holds the job; false when another run took it over or finished it. */
  async finish(id: string, token: string, outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; error: ErrorBody }): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE jobs SET status = $3, result = $4, error = $5, finished_at = $6, claim_token = NULL
       WHERE id = $1 AND claim_token = $2 AND status = 'running' RETURNING *`,
      [id, token, outcome.status, outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null, outcome.status === 'failed' ? JSON.stringify(outcome.error) : null, Date.now()],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Hands a job back to the queue (the worker is shutting down mid-job). */
  async release(id: string, token: string): Promise<void> {
    await this.pool.query(`UPDATE jobs SET status = 'queued', claim_token = NULL WHERE id = $1 AND claim_token = $2 AND status = 'running'`, [id, token]);
  }

  /** Fails a job that has not finished, whoever holds it (it was abandoned: stalled too often, or lost). */
  async failUnfinished(id: string, error: ErrorBody): Promise<JobRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE jobs SET status = 'failed', error = $2, finished_at = $3, claim_token = NULL
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
      [id, JSON.stringify(error), Date.now()],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Unfinished jobs created before `before`, oldest first: what reconciliation checks against the queue. */
  async unfinished(before: number, limit = 1000): Promise<JobRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM jobs WHERE status IN ('queued', 'running') AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(toRecord);
  }

  async counts(): Promise<JobCounts> {
    const counts: JobCounts = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    const { rows } = await this.pool.query<{ status: JobStatus; n: string }>('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
    for (const { status, n } of rows) counts[status] = Number(n);
    return counts;
  }

  /** Deletes finished jobs older than `before`; returns their input keys so blobs can go too. */
  async purgeFinished(before: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ input_key: string }>('DELETE FROM jobs WHERE finished_at < $1 RETURNING input_key', [before]);
    return rows.map((r) => r.input_key).filter(Boolean);
  }
}
