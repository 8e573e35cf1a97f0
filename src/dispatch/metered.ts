import { ArgusError } from '../errors.js';
import type { Dispatcher, DispatcherStatus, EvictResult, InferenceOutcome, InferenceRequest, ModelRuntimeStatus } from './types.js';
import type { Manifest } from '../models/manifest.js';

/** What the decorator records into; the service's Prometheus metrics implement it. */
export interface RunMeter {
  /** A model run that answered, with its stage timings. */
  observeRun(task: string, model: string, timings: Record<string, number | undefined>): void;
  /** A model run that failed, by error code. */
  observeFailure(task: string, model: string, code: string): void;
}

/**
 * A dispatcher decorator that records every model run (stage timings, outcome) in a {@link RunMeter}. It sits outermost, so sync requests, async jobs, composite tasks' inner runs
 * and live-stream frames are all counted once, wherever the model runs (local pool, queue, upstream).
 */
export class MeteredDispatcher implements Dispatcher {
  constructor(private readonly inner: Dispatcher, private readonly metrics: RunMeter) {}

  async execute(request: InferenceRequest): Promise<InferenceOutcome> {
    const { alias: model, task } = request.manifest;
    try {
      const outcome = await this.inner.execute(request);
      this.metrics.observeRun(task, model, outcome.timings as unknown as Record<string, number>);
      return outcome;
    } catch (error) {
      const outcome = error instanceof ArgusError ? error.code : 'internal_error';
      this.metrics.observeFailure(task, model, outcome);
      throw error;
    }
  }

  status(): Promise<DispatcherStatus> {
    return this.inner.status();
  }

  // Loads and unloads are measured where they happen, in the worker manager (argus.ts wires its
  // lifecycle events), so automatic ones (first use, idle, memory) count as well as these.
  load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    return this.inner.load(manifest);
  }

  evict(alias: string, force: boolean): Promise<EvictResult> {
    return this.inner.evict(alias, force);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
