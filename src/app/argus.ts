/**
 * The composition root: builds every layer from one config and wires them together. The CLI's
 * `serve`, its one-shot commands and the tests all start Argus through here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/load.js';
import { buildHttpApp } from '../http/app.js';
import { envSecrets, type SecretSource } from '../config/secrets.js';
import { distributedApiBackends, embeddedBackends, type Backends } from './deployment.js';
import type { Dispatcher, DispatcherStatus } from '../dispatch/types.js';
import { UpstreamDispatcher } from '../dispatch/upstream.js';
import type { JobQueue, JobRecord } from '../jobs/types.js';
import { Catalog } from '../models/catalog.js';
import { errors } from '../errors.js';
import { KeyRing } from '../service/keys.js';
import { MeteredDispatcher } from '../dispatch/metered.js';
import { Metrics } from '../service/metrics.js';
import { registerDistributedMetrics } from '../service/metrics-distributed.js';
import { KeyFile, keysFilePath } from '../store/keys.js';
import { InferenceService } from '../service/inference.js';
import { registerFeatures } from './features.js';
import { embeddedStores, sharedStores } from './stores.js';
import { urlFetcherFor } from '../service/fetch-url.js';
import { registerFiles } from '../features/files/service.js';
import { SystemService } from '../service/system.js';
import { HistoryService } from '../service/history.js';
import { StatsCollector } from '../service/stats.js';
import { lockDataDir } from '../store/lock.js';
import { openDatabase, type SqliteDatabase } from '../store/sqlite/database.js';
import type { WorkerManager } from '../workers/manager.js';
import { RemoteModels } from '../workers/remote.js';
import { BackgroundThumbnailer } from '../workers/thumbnailer.js';

export const VERSION: string = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
).version;

export interface Argus {
  config: Config;
  log: Logger;
  catalog: Catalog;
  /** Local model workers: embedded mode only (a distributed API node has none). */
  workers?: WorkerManager;
  backends: Backends;
  dispatcher: Dispatcher;
  queue: JobQueue;
  service: InferenceService;
  system: SystemService;
  /** The HTTP app (routes registered, not listening until `listen`). */
  http: FastifyInstance;
  /** Starts serving HTTP; resolves with the address. */
  listen(): Promise<string>;
  /** Graceful stop: no new requests, in-flight ones finish (bounded), running jobs go back to the queue. */
  close(): Promise<void>;
}

export interface CreateArgusOptions {
  log?: Logger;
  /**
   * `server` owns the data directory (lock, durable queue, job runner). `oneshot` is for CLI
   * commands that run a task and exit: an in-memory queue, and no lock on a server's data.
   */
  mode?: 'server' | 'oneshot';
  /** Where upstream API keys are read by the variable names manifests give. @defaultValue the process environment */
  secrets?: SecretSource;
}

/** JSON logs to stdout for a server; to stderr for one-shot commands, whose stdout is their result. */
export function createLogger(config: Config, mode: 'server' | 'oneshot' = 'server'): Logger {
  return pino({ level: config.logLevel, base: { service: 'argus' } }, pino.destination(mode === 'server' ? 1 : 2));
}

export async function createArgus(config: Config, options: CreateArgusOptions = {}): Promise<Argus> {
  const mode = options.mode ?? 'server';
  const log = options.log ?? createLogger(config, mode);
  const startedAt = Date.now();
  const unlock = mode === 'server' ? lockDataDir(config.dataDir) : () => undefined;
  let db: SqliteDatabase | undefined;
  let backends: Backends | undefined;
  let limitsRedis: Redis | undefined;
  try {
    db = openDatabase(mode === 'server' ? join(config.dataDir, 'argus.db') : ':memory:');
    const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots, preferred: config.defaultModels });
    for (const problem of catalog.problems) log.error(problem);
    // A pinned model that does not exist is a configuration error: say so now, not at first use.
    for (const alias of config.preload) catalog.require(alias);
    const deps = {
      config, catalog, log, db,
      runsJobs: mode === 'server',
      // Called only once jobs run, after `service` below exists.
      onJobFinished: (job: JobRecord) => void service.jobFinished(job).catch((error: unknown) => log.error({ err: error, job: job.id }, 'job cleanup failed')),
    };
    // With a queue and a database this is a stateless API node; otherwise everything is embedded.
    backends = config.queueUrl && mode === 'server' ? await distributedApiBackends(deps) : embeddedBackends(deps);
    // Upstream models (runtime `upstream`) are computed by another server: served from this process, no worker.
    const remote = new RemoteModels({ secrets: options.secrets ?? envSecrets(), maxPixels: config.maxPixels, maxInFlight: config.maxQueueDepth, log });
    // Outermost: every model run is measured once, wherever it runs.
    const metrics: Metrics = new Metrics({ jobs: () => backends!.queue.counts(), runtime: (): Promise<DispatcherStatus> => dispatcher.status() });
    const dispatcher: Dispatcher = new MeteredDispatcher(new UpstreamDispatcher(backends.dispatcher, remote), metrics);
    const { queue, blobs, workers } = backends;
    // Batch sizes as the dynamic batcher forms them (embedded mode; worker nodes run their own batches).
    workers?.onModelRun((run) => {
      metrics.batchSize.observe({ model: run.alias }, run.size);
      if (run.overlapped) metrics.overlapped.inc({ model: run.alias });
    });
    workers?.onModelLifecycle((event) => {
      if (event.kind === 'load') metrics.modelLoadDuration.observe({ model: event.alias }, event.load_ms / 1000);
      else metrics.observeUnload(event.alias, event.reason);
    });
    const service = new InferenceService({ config, catalog, dispatcher, queue, blobs, log, urls: urlFetcherFor(config) });
    // Distributed: the stores every API and worker node shares, in PostgreSQL (the dashboard's
    // history included, so every API node shows the same one); embedded: this node's SQLite.
    const stores = backends.distributed ? sharedStores(backends.distributed.pool) : embeddedStores(db, config);
    const { scene, search, gallery } = registerFeatures({ service, config, log, stores });
    const files = registerFiles({ service, config, log, stores, catalog, search });
    const distributed = backends.distributed;
    const system = new SystemService({ config, catalog, dispatcher, queue, version: VERSION, startedAt, queueConnection: distributed && (() => distributed.connectionStatus()) });
    system.addNotices(() => scene.notices());
    system.setFfmpegReport(() => scene.ffmpegReport());
    system.addNotices(() => files.notices());
    // The queue dashboard (bull-board: BullMQ backends only) shows every model's queue and the composite one.
    const queues = distributed?.boardQueues ? () => distributed.boardQueues!(catalog.aliases()) : undefined;
    const thumbnailer = new BackgroundThumbnailer();
    const history = new HistoryService({
      service, queue, store: stores.history, log, size: config.historySize, maxPixels: config.maxPixels,
      thumbnails: (bytes, options) => thumbnailer.make(bytes, options),
    });
    if (distributed && backends.reconciled) {
      const { remote } = distributed;
      const { reconciled } = backends;
      registerDistributedMetrics(metrics.registry, {
        connection: () => distributed.connectionStatus(),
        backlog: () => distributed.backlog(catalog.aliases()),
        nodes: () => distributed.nodes(0),
        reconciled,
        onResend: (listener) => remote.events.on('resend', listener),
        onVerdict: (listener) => remote.events.on('verdict', listener),
      });
    }
    const keys = new KeyRing({ configured: config.apiKeys, file: new KeyFile(keysFilePath(config)), log });
    // Rate limits are counted in Redis when API nodes share one: on a connection of their own that
    // fails fast (the queue's waits for Redis to come back, which would hold every request).
    limitsRedis = distributed?.rateLimitRedis?.();
    limitsRedis?.on('error', (error) => log.debug({ err: error }, 'rate-limit redis connection error'));
    const http = await buildHttpApp({ config, log, service, system, search, scene, history, files, gallery, stats: new StatsCollector(), version: VERSION, queues, keys, metrics, limitsRedis });

    backends.start(service.runJob);

    const database = db;
    const running = backends;
    let closing: Promise<void> | undefined;
    return {
      config, log, catalog, workers, backends, dispatcher, queue, service, system, http,
      async listen() {
        for (const problem of system.problems()) log.warn(problem);
        for (const notice of system.notices()) log.warn(notice);
        checkExposure(config, keys, log);
        const address = await http.listen({ port: config.port, host: config.host });
        log.info({ address, mode: running.mode, modelsDir: config.modelsDir, dataDir: config.dataDir, version: VERSION }, `Argus ${VERSION} serving on ${address} (${running.mode})`);
        // Pinned models load in the background, all at once; /healthz shows them 'loading' meanwhile.
        if (workers) void workers.preload(config.preload.map((alias) => catalog.require(alias)));
        return address;
      },
      close() {
        closing ??= (async () => {
          await http.close();
          limitsRedis?.disconnect();
          await running.close(5_000);
          await history.idle();
          thumbnailer.close();
          database.close();
          unlock();
        })();
        return closing;
      },
    };
  } catch (error) {
    limitsRedis?.disconnect();
    await backends?.close(0).catch(() => undefined);
    db?.close();
    unlock();
    throw error;
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Secure by default: without API keys Argus serves loopback only, and says so; another address
 * without keys needs `insecure` (`argus serve --insecure`), and is warned about.
 */
function checkExposure(config: Config, keys: KeyRing, log: Logger): void {
  if (keys.enabled) {
    log.info('API keys are required (Authorization: Bearer <key> or x-api-key)');
  } else if (LOOPBACK.test(config.host)) {
    log.warn(`no API keys configured: serving on ${config.host} (this machine only); create keys with \`argus keys create\` to serve a network`);
  } else if (config.insecure) {
    log.warn(`no API keys configured and --insecure given: anyone who can reach ${config.host} may use every route, admin ones included`);
  } else {
    throw errors.insecureBind(config.host);
  }
}
