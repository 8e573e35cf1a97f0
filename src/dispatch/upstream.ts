import type { Manifest } from '../models/manifest.js';
import type { Dispatcher, DispatcherStatus, EvictResult, InferenceOutcome, InferenceRequest, ModelRuntimeStatus } from './types.js';
import type { RemoteModels } from '../workers/remote.js';

/**
 * Sends requests for upstream models (runtime `upstream`) to {@link RemoteModels} in this process
 * and everything else to the dispatcher it wraps (the local worker pool, or a queue). A decorator
 * rather than a branch inside each dispatcher: an upstream is reached over HTTP from wherever the
 * request is, so no dispatcher needs to know about it, and a distributed one gets it for free.
 */
export class UpstreamDispatcher implements Dispatcher {
  constructor(private readonly inner: Dispatcher, private readonly remote: RemoteModels) {}

  async execute(request: InferenceRequest): Promise<InferenceOutcome> {
    if (request.manifest.runtime !== 'upstream') return this.inner.execute(request);
    const { output, timings } = await this.remote.execute(request.manifest, request.params, request.input, {
      emit: request.onPartial,
      signal: request.signal,
    });
    return { output, timings: { ...timings, queue_ms: 0 }, provider: 'remote' };
  }

  async status(): Promise<DispatcherStatus> {
    const status = await this.inner.status();
    return { ...status, models: [...status.models, ...this.remote.status()] };
  }

  load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    return manifest.runtime === 'upstream' ? this.remote.load(manifest) : this.inner.load(manifest);
  }

  async evict(alias: string, force: boolean): Promise<EvictResult> {
    return this.remote.has(alias) ? this.remote.evict(alias) : this.inner.evict(alias, force);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
