import type { Manifest } from '../models/manifest.js';
import type { StageTimings, TaskInput } from '../tasks/types.js';
import type { ThumbnailSides, Thumbnails } from '../vision/thumbnail.js';
import type { EvictResult, MemoryStatus, ModelRuntimeStatus, WorkerManager, WorkerStatus } from '../workers/manager.js';
import type { Priority } from '../workers/pool.js';

export type { Priority } from '../workers/pool.js';

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

/** Runs requests on this machine's worker processes. */
export class LocalDispatcher implements Dispatcher {
  constructor(private readonly workers: WorkerManager) {}

  async execute(request: InferenceRequest): Promise<InferenceOutcome> {
    const result = await this.workers.execute(request.manifest, request.params, request.input, request.priority, {
      onPartial: request.onPartial,
      signal: request.signal,
      preview: request.preview,
    });
    const info = this.workers.loadedInfo(request.manifest.alias);
    return {
      output: result.output,
      timings: { ...result.timings, queue_ms: result.queue_ms },
      sha256: info?.sha256,
      provider: info?.provider,
      preview: result.preview,
    };
  }

  async status(): Promise<DispatcherStatus> {
    return { models: this.workers.modelStatus(), workers: this.workers.workerStatus(), memory: this.workers.memoryStatus() };
  }

  load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    return this.workers.load(manifest);
  }

  evict(alias: string, force: boolean): Promise<EvictResult> {
    return this.workers.evict(alias, force);
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
