/**
 * The dispatch contract: what the service hands a dispatcher and gets back, and the status types
 * every dispatcher reports (local worker pool, queue to remote workers, upstream HTTP models).
 * Workers implement it; no dispatcher but the local one knows about worker processes.
 */
import type { Manifest } from '../models/manifest.js';
import type { StageTimings, TaskInput } from '../tasks/types.js';
import type { ThumbnailSides, Thumbnails } from '../vision/thumbnail.js';

/** Sync requests overtake queued batch (async job) work in each model's queue. */
export type Priority = 'interactive' | 'batch';

export interface InferenceRequest {
  manifest: Manifest;
  params: unknown;
  input: TaskInput;
  priority: Priority;
  /** Receives partial results as the task emits them (streaming chat); only sync callers set it. */
  onPartial?: (partial: unknown) => void;
  /** Aborted when the caller gives up: a queued request is dropped, a running one asked to stop. */
  signal?: AbortSignal;
  /** Asks for the history's images, made from the worker's own decode where it can (see {@link InferenceOutcome.preview}). */
  preview?: ThumbnailSides;
}

export interface InferenceOutcome {
  output: unknown;
  timings: StageTimings & { queue_ms: number };
  /** sha256 of the model file that answered. */
  sha256?: string;
  provider?: string;
  /** The history's images (asked with `preview`), arriving after the result; undefined where the worker had none. */
  preview?: Promise<Thumbnails | undefined>;
}

/**
 * Where a prepared request goes to be computed: the local worker pool, or (distributed) a queue
 * that remote workers consume. The service neither knows nor cares which.
 */
export interface Dispatcher {
  execute(request: InferenceRequest): Promise<InferenceOutcome>;
  /** Models, workers and memory as this dispatcher sees them. */
  status(): Promise<DispatcherStatus>;
  /** Loads a model now. */
  load(manifest: Manifest): Promise<ModelRuntimeStatus>;
  /** Stops a model's workers now (409 while busy unless `force`). */
  evict(alias: string, force: boolean): Promise<EvictResult>;
  close(): Promise<void>;
}

export interface DispatcherStatus {
  models: ModelRuntimeStatus[];
  workers: WorkerStatus[];
  memory: MemoryStatus;
}

export interface WorkerStatus {
  pid?: number;
  model: string;
  models: string[];
  state: string;
  busy: boolean;
  /** Requests sent and not yet answered: 2 while the worker decodes the next during an inference. */
  in_flight?: number;
  rss_mb: number;
  requests: number;
  uptime_s: number;
  idle_s: number;
  provider?: string;
  fallback_reason?: string;
}

export interface ModelRuntimeStatus {
  alias: string;
  state: string;
  workers: number;
  queued: number;
  pinned: boolean;
  rss_mb: number;
  loads: number;
  sha256?: string;
  provider?: string;
  /** Its loaded workers decode the next request while a run computes (see {@link WorkerManager.overlap}). */
  overlap?: boolean;
  last_error?: string;
  last_used_s?: number;
}

export interface MemoryStatus {
  total_mb: number;
  free_mb: number;
  budget_mb: number;
  used_by_workers_mb: number;
  api_rss_mb: number;
}

export interface EvictResult {
  alias: string;
  stopped: number;
  freed_mb: number;
}
