import type { Logger } from 'pino';
import type { SecretSource } from '../config/secrets.js';
import { errors } from '../errors.js';
import type { Manifest } from '../models/manifest.js';
import { openUpstreamSession, type UpstreamSession } from '../runtimes/upstream.js';
import type { RunContext, StageTimings, TaskInput } from '../tasks/types.js';
import type { ModelRuntimeStatus } from '../dispatch/types.js';
import { hostModel, requireTask, type HostedModel } from './model-host.js';

export interface RemoteModelsOptions {
  /** Where API keys are looked up by the variable name a manifest gives (`apiKeyEnv`). */
  secrets: SecretSource;
  /** Largest image in pixels (handed to the task like a worker does). */
  maxPixels: number;
  /** Requests in flight per upstream model before new ones get 503 + Retry-After. */
  maxInFlight: number;
  log?: Logger;
}

interface Hosted {
  manifest: Manifest;
  session: UpstreamSession;
  model: HostedModel;
  inFlight: number;
  requests: number;
  lastUsedAt: number;
  lastError?: string;
}

/**
 * Hosts the models an upstream server computes (manifest runtime `upstream`), in the API process.
 * A worker process exists to contain native memory and crashes; an upstream model holds neither
 * (its "session" is an HTTP client), so a process per model would only add ~100 MB and an IPC hop.
 * The task's own runner still does the work — built by the same host a worker uses (model-host.ts) —
 * so validation, params and output shapes stay the task's, and only the runtime differs.
 */
export class RemoteModels {
  private readonly hosted = new Map<string, Hosted>();

  constructor(private readonly options: RemoteModelsOptions) {}

  has(alias: string): boolean {
    return this.hosted.has(alias);
  }

  /** The hosted model, opened on first use: the API key is read then, so a missing one is a clear 503. */
  private async host(manifest: Manifest): Promise<Hosted> {
    const existing = this.hosted.get(manifest.alias);
    if (existing) return existing;
    const source = manifest.source;
    if (source.type !== 'upstream') throw errors.modelUnavailable(manifest.alias, 'its manifest has no upstream source.');
    const apiKey = source.apiKeyEnv ? this.options.secrets(source.apiKeyEnv) : undefined;
    if (source.apiKeyEnv && !apiKey) {
      throw errors.modelUnavailable(manifest.alias, `its API key is read from the environment variable ${source.apiKeyEnv}, which is not set in Argus's environment.`);
    }
    const task = requireTask(manifest.alias, manifest.task);
    const kind = source.kind ?? 'openai';
    // The Inference API classifies images; OpenAI-compatible servers chat and generate.
    if ((kind === 'hf-inference') !== (manifest.task === 'classify')) {
      throw errors.modelUnavailable(manifest.alias, kind === 'hf-inference'
        ? `a Hugging Face Inference API upstream (kind hf-inference) serves classify only, not ${manifest.task}.`
        : 'classification upstreams must be Hugging Face Inference API ones: set "kind": "hf-inference" in its source.');
    }
    const session = openUpstreamSession({ alias: manifest.alias, baseUrl: source.baseUrl, apiKey, timeoutMs: source.timeoutMs, model: source.model, kind });
    const model = await hostModel(task, { alias: manifest.alias, session, labels: [], maxPixels: this.options.maxPixels }, {
      runnerOnly: `task '${manifest.task}' cannot be served by an upstream server.`,
    });
    const hosted: Hosted = { manifest, session, model, inFlight: 0, requests: 0, lastUsedAt: Date.now() };
    this.hosted.set(manifest.alias, hosted);
    this.options.log?.info({ model: manifest.alias, upstream: source.baseUrl, upstream_model: source.model }, `model ${manifest.alias} is served by ${source.baseUrl}`);
    return hosted;
  }

  /** Runs one request through the task's runner; the upstream does the computing. */
  async execute(manifest: Manifest, params: unknown, input: TaskInput, context: RunContext): Promise<{ output: unknown; timings: StageTimings }> {
    const hosted = await this.host(manifest);
    if (hosted.inFlight >= this.options.maxInFlight) {
      throw errors.overloaded(`${hosted.inFlight} requests are already in flight to the upstream of model '${manifest.alias}'.`, 1);
    }
    hosted.inFlight++;
    hosted.requests++;
    hosted.lastUsedAt = Date.now();
    try {
      const result = await hosted.model.run(input, params, context);
      hosted.lastError = undefined;
      return result;
    } catch (error) {
      hosted.lastError = (error as Error).message;
      throw error;
    } finally {
      hosted.inFlight--;
      hosted.lastUsedAt = Date.now();
    }
  }

  /** "Loads" an upstream model: opens it and asks the upstream for its model list, which proves it is reachable and takes the key. */
  async load(manifest: Manifest): Promise<ModelRuntimeStatus> {
    const hosted = await this.host(manifest);
    try {
      // The Inference API has no model list; its first request shows whether it answers.
      if (hosted.session.kind === 'openai') await hosted.session.client.listModels();
      hosted.lastError = undefined;
    } catch (error) {
      hosted.lastError = (error as Error).message;
      throw error;
    }
    return this.describe(hosted);
  }

  /** Forgets an upstream model (nothing to free: the next request opens it again). */
  evict(alias: string): { alias: string; stopped: number; freed_mb: number } {
    this.hosted.delete(alias);
    return { alias, stopped: 0, freed_mb: 0 };
  }

  private describe(hosted: Hosted): ModelRuntimeStatus {
    return {
      alias: hosted.manifest.alias,
      state: 'ready',
      workers: 0,
      queued: hosted.inFlight,
      pinned: false,
      rss_mb: 0,
      loads: 1,
      provider: hosted.session.provider,
      last_error: hosted.lastError,
      last_used_s: Math.round((Date.now() - hosted.lastUsedAt) / 1000),
    };
  }

  status(): ModelRuntimeStatus[] {
    return [...this.hosted.values()].map((h) => this.describe(h));
  }
}
