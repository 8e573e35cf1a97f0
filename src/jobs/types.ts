import type { ErrorBody } from '../errors.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** What a client asked for; stored durably before the job's id is returned. */
export interface JobSpec {
  id: string;
  task: string;
  /** Model alias, resolved at submit time. */
  model: string;
  params: unknown;
  /** Blob-store key of the input image; '' for a job without one. */
  inputKey: string;
  /** The text input of text-taking tasks (CLIP text, prompts). */
  text?: string;
  /** A composite task (computed in the service from other tasks): routed to the composite queue. */
  composite?: boolean;
  /** Who submitted it (API key id), for access checks; empty when auth is off. */
  owner?: string;
}

export interface JobRecord extends JobSpec {
  status: JobStatus;
  attempts: number;
  created_at: number;
  started_at?: number;
  finished_at?: number;
  result?: unknown;
  error?: ErrorBody;
  /** How far a running job has come, as its task reports it (e.g. `{done: 3, total: 40}`); kept after it ends. */
  progress?: unknown;
}

export type JobCounts = Record<JobStatus, number>;

/** Receives a job's record after each change of its state (see {@link JobQueue.watch}); must not throw. */
export type JobWatcher = (job: JobRecord) => void;

/** Runs one job and returns its result; a thrown error fails the job with that reason. */
export type JobHandler = (job: JobRecord) => Promise<unknown>;

export interface ProcessOptions {
  /** Jobs run at once by this consumer. */
  concurrency: number;
  /**
   * This consumer is the only one (the embedded server holds the data-dir lock): jobs still marked
   * running belong to a process that died, and go back to the queue at once instead of waiting
   * for their leases to expire.
   */
  exclusive?: boolean;
}

/**
 * A durable job queue. The embedded (SQLite) and BullMQ implementations both pass the shared
 * conformance suite in `queue.conformance.ts`; routes and tasks never see which one runs.
 */
export interface JobQueue {
  /** Stores the job; when this resolves the job survives a crash of this process. */
  submit(spec: JobSpec): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Starts consuming: each job runs `handler` and completes exactly once, or fails with a reason. */
  process(handler: JobHandler, options: ProcessOptions): void;
  counts(): Promise<JobCounts>;
  /**
   * Calls `listener` with the job's record on each change of state this process makes: submitted
   * (queued), claimed (running), finished (succeeded or failed), handed back (queued). Returns a
   * function that removes the listener. Optional: the BullMQ queue does not implement it, because
   * its claims and completions happen on worker nodes (a live feed there would follow BullMQ's
   * QueueEvents); callers treat a missing `watch` as "no live job states".
   */
  watch?(listener: JobWatcher): () => void;
  /** Records a running job's progress (see {@link JobRecord.progress}); a job that is not running is left alone. */
  setProgress?(id: string, progress: unknown): Promise<void>;
  /**
   * Stops taking jobs, waits up to `graceMs` for running ones to finish, and hands the rest back to
   * the queue (they run again on the next start), so none is lost.
   */
  close(graceMs?: number): Promise<void>;
}
