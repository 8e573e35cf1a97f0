import type { Manifest } from '../models/manifest.js';
import type { WorkerManager } from '../workers/manager.js';
import type { Dispatcher, DispatcherStatus, EvictResult, InferenceOutcome, InferenceRequest, ModelRuntimeStatus } from './types.js';

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
