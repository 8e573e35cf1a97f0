import type { Manifest } from '../models/manifest.js';
import type { Dispatcher, DispatcherStatus, EvictResult, InferenceOutcome, InferenceRequest, ModelRuntimeStatus } from './types.js';

/**
 * A worker node's dispatcher: models it serves run on its own worker processes; any other model
 * (a composite task's inner call, say) goes through the queue to a node that serves it.
 */
export class RoutingDispatcher implements Dispatcher {
  constructor(private readonly served: ReadonlySet<string>, private readonly local: Dispatcher, private readonly remote: Dispatcher) {}

  private pick(alias: string): Dispatcher {
    return this.served.has(alias) ? this.local : this.remote;
  }

  execute(request: InferenceRequest): Promise<InferenceOutcome> {
    return this.pick(request.manifest.alias).execute(request);
  }

  status(): Promise<DispatcherStatus> {
    return this.local.status();
  }

  load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    return this.pick(manifest.alias).load(manifest);
  }

  evict(alias: string, force: boolean): Promise<EvictResult> {
    return this.pick(alias).evict(alias, force);
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}
