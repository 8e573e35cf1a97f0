import { statSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { errors } from '../errors.js';
import type { QueueConnectionStatus } from '../jobs/distributed.js';
import type { Dispatcher, ModelRuntimeStatus } from '../dispatch/types.js';
import type { JobQueue } from '../jobs/types.js';
import type { Catalog } from '../models/catalog.js';
import { classifyLicence } from '../models/licence.js';

export interface SystemDeps {
  config: Config;
  catalog: Catalog;
  dispatcher: Dispatcher;
  queue: JobQueue;
  version: string;
  startedAt: number;
  /** The Redis connection's state (distributed mode), for /healthz's `queue`. */
  queueConnection?: () => QueueConnectionStatus;
}

/** Which ffmpeg runs video, as /healthz reports it; scene analysis, which finds it, provides it. */
export interface FfmpegReport {
  available: boolean;
  source?: 'system' | 'configured' | 'packaged';
  path?: string;
  version?: string;
  libavformat?: number;
  package?: string;
  problem?: string;
}

/** What is installed, loaded and running, and the operator's levers: load and evict. */
export class SystemService {
  private readonly noticeSources: Array<() => string[]> = [];
  private ffmpegSource: () => FfmpegReport | undefined = () => undefined;

  constructor(private readonly deps: SystemDeps) {}

  /** Adds a feature's notices (scene analysis: ffmpeg missing) to /healthz's `notices`. */
  addNotices(source: () => string[]): void {
    this.noticeSources.push(source);
  }

  /** Adds which ffmpeg video runs (scene analysis) to /healthz. */
  setFfmpegReport(source: () => FfmpegReport | undefined): void {
    this.ffmpegSource = source;
  }

  /**
   * Problems a user should know about at start and in /healthz, each with what to do: broken
   * manifests, or no installed detector at all. Any of them makes /healthz `degraded`.
   */
  problems(): string[] {
    const { catalog, config } = this.deps;
    const problems = [...catalog.problems];
    const detector = catalog.defaultFor('detect', config.defaultDetectModel);
    if (!detector || !catalog.availability(detector).available) {
      const reason = detector ? catalog.availability(detector).reason : 'no detection model is catalogued.';
      problems.push(`No object detector is installed: ${detector?.alias ?? 'detect'} — ${reason}`);
    }
    return problems;
  }

  /**
   * What a user should know that does not stop serving: the configured default detector
   * (`defaultDetectModel`) cannot answer, and another installed detector answers in its place.
   */
  notices(): string[] {
    const { catalog, config } = this.deps;
    const preferred = config.defaultDetectModel;
    const detector = catalog.defaultFor('detect', preferred);
    if (!detector || detector.alias === preferred.toLowerCase() || !catalog.availability(detector).available) return [];
    const wanted = catalog.get(preferred);
    const why = !wanted
      ? `'${preferred}' is not a known model (known: ${catalog.aliases().join(', ')}).`
      : wanted.task !== 'detect'
        ? `'${preferred}' does ${wanted.task}, not detect.`
        : `${wanted.alias} is not installed: ${catalog.availability(wanted).reason ?? 'its files are missing.'}`;
    return [
      `The default detector (ARGUS_DEFAULT_DETECT_MODEL=${preferred}) cannot answer: ${why} ` +
        `Detect requests that name no model are answered by ${detector.alias} instead; set ` +
        `ARGUS_DEFAULT_DETECT_MODEL=${detector.alias} to make that the default and silence this notice.`,
    ];
  }

  private async runtimeStates(): Promise<Map<string, ModelRuntimeStatus>> {
    return new Map((await this.deps.dispatcher.status()).models.map((m) => [m.alias, m]));
  }

  async health() {
    const { catalog, dispatcher, queue } = this.deps;
    const status = await dispatcher.status();
    const states = new Map(status.models.map((m) => [m.alias, m]));
    const problems = this.problems();
    const connection = this.deps.queueConnection?.();
    if (connection && connection.state !== 'connected') {
      problems.push(`Redis (${connection.target}) is unreachable since ${new Date(connection.since).toISOString()}${connection.last_error ? ` (${connection.last_error})` : ''}: sync requests get 503 queue_unavailable until it is back.`);
    }
    return {
      status: problems.length ? ('degraded' as const) : ('ok' as const),
      version: this.deps.version,
      timestamp: Date.now() / 1000,
      uptime_s: Math.round((Date.now() - this.deps.startedAt) / 1000),
      problems,
      notices: [...this.notices(), ...this.noticeSources.flatMap((source) => source())],
      ...(connection ? { queue: connection } : {}),
      models: catalog.list().map(({ manifest }) => {
        const availability = catalog.availability(manifest);
        const runtime = states.get(manifest.alias);
        return {
          alias: manifest.alias,
          task: manifest.task,
          available: availability.available,
          loaded: runtime?.state === 'ready',
          state: runtime?.state ?? 'unloaded',
          reason: availability.available ? runtime?.last_error : availability.reason,
        };
      }),
      workers: status.workers.map((w) => ({ pid: w.pid, model: w.model, state: w.state, rss_mb: w.rss_mb, requests: w.requests, provider: w.provider })),
      jobs: await queue.counts(),
      ffmpeg: this.ffmpegSource(),
    };
  }

  /** Every catalogued model, in OpenAI's list shape plus Argus's own fields. */
  async models() {
    const { catalog, config } = this.deps;
    const states = await this.runtimeStates();
    const created = Math.floor(this.deps.startedAt / 1000);
    const entries = [
      ...catalog.list().map(({ manifest, origin }) => ({ id: manifest.alias, manifest, origin, aliasOf: undefined as string | undefined, description: manifest.description })),
      ...catalog.taskNames().map(({ name, manifest, spec }) => ({ id: name, manifest, origin: 'builtin', aliasOf: manifest.alias, description: spec.description })),
    ];
    return {
      object: 'list' as const,
      data: entries.map(({ id, manifest, origin, aliasOf, description }) => {
        const availability = catalog.availability(manifest);
        const runtime = states.get(manifest.alias);
        const loaded = runtime?.state === 'ready';
        return {
          id,
          object: 'model' as const,
          created: availability.path ? Math.floor(statSafe(availability.path) / 1000) || created : created,
          owned_by: origin === 'builtin' ? 'argus' : 'user',
          task: manifest.task,
          runtime: manifest.runtime,
          licence: manifest.licence,
          licence_kind: classifyLicence(manifest.licence).kind,
          licence_warning: classifyLicence(manifest.licence).warning,
          description,
          alias_of: aliasOf,
          available: availability.available,
          loaded,
          state: runtime?.state ?? 'unloaded',
          memory_mb: loaded ? runtime.rss_mb : manifest.memoryMb,
          memory_measured: loaded,
          device: runtime?.provider ?? config.executionProvider,
          workers: runtime?.workers ?? 0,
          pinned: config.preload.includes(manifest.alias),
          reason: availability.available ? runtime?.last_error : availability.reason,
        };
      }),
    };
  }

  async status() {
    const { dispatcher, queue, config } = this.deps;
    const status = await dispatcher.status();
    const { memory } = status;
    return {
      memory,
      workers: status.workers,
      models: status.models,
      jobs: await queue.counts(),
      uptime_s: Math.round((Date.now() - this.deps.startedAt) / 1000),
      config: { idle_timeout_seconds: config.idleTtlS, memory_budget_mb: memory.budget_mb },
    };
  }

  async load(alias: string) {
    const manifest = this.deps.catalog.require(alias);
    const availability = this.deps.catalog.availability(manifest);
    if (!availability.available) throw errors.modelNotInstalled(alias, availability.reason ?? 'it is not installed.');
    const started = performance.now();
    const status = await this.deps.dispatcher.load(manifest);
    return { ...status, load_ms: Math.round(performance.now() - started) };
  }

  /** Stops the workers of a model (named by alias, or by a task name such as image-gen). */
  async evict(alias: string, force: boolean) {
    const manifest = this.deps.catalog.require(alias);
    const result = await this.deps.dispatcher.evict(manifest.alias, force);
    return { ...result, status: 'evicted' as const, alias, model: manifest.alias };
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
