/**
 * `argus worker`: an inference node of a distributed deployment. It serves the queues of the
 * models it hosts (synchronous requests and async jobs), runs them on its own worker processes,
 * announces itself with a heartbeat, and answers load/evict commands. Any number can run, on any
 * machine that reaches the same Redis and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createLogger, VERSION } from './argus.js';
import { distributedParts } from './deployment.js';
import type { Config } from '../config/load.js';
import { BullmqJobQueue } from '../jobs/bullmq/job-queue.js';
import type { NodeInfo } from '../jobs/bullmq/registry.js';
import { serveRequests } from '../jobs/bullmq/request-server.js';
import { COMPOSITE_QUEUE, queueForModel } from '../jobs/bullmq/transport.js';
import { LocalDispatcher } from '../dispatch/dispatcher.js';
import { RoutingDispatcher } from '../dispatch/routing.js';
import { Catalog } from '../models/catalog.js';
import { InferenceService } from '../service/inference.js';
import { registerFeatures } from './features.js';
import { sharedStores } from './stores.js';
import { registerFiles } from '../features/files/service.js';
import { WorkerManager } from '../workers/manager.js';

export interface WorkerNode {
  id: string;
  models: string[];
  log: Logger;
  /** Stops taking work: active jobs finish (bounded by BullMQ's close), the rest stays queued. */
  close(): Promise<void>;
}

/** The models a node serves: those named, checked against the catalog, or every installed one. */
function servedModels(config: Config, catalog: Catalog): string[] {
  if (config.workerModels.length) {
    for (const alias of config.workerModels) {
      const manifest = catalog.require(alias);
      const availability = catalog.availability(manifest);
      if (!availability.available) throw new Error(`model ${alias} cannot be served here: ${availability.reason}`);
    }
    return config.workerModels;
  }
  return catalog.list().map((e) => e.manifest).filter((m) => m.runtime !== 'upstream' && catalog.availability(m).available).map((m) => m.alias);
}

export async function startWorkerNode(config: Config, options: { log?: Logger } = {}): Promise<WorkerNode> {
  if (!config.queueUrl || !config.dbUrl) throw new Error('argus worker needs --queue redis://… and --db postgres://… (ARGUS_QUEUE_URL, ARGUS_DB_URL)');
  const log = options.log ?? createLogger(config);
  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
  for (const problem of catalog.problems) log.error(problem);
  const models = servedModels(config, catalog);
  if (!models.length) throw new Error(`no model is installed in ${config.modelsDir}, so this worker would serve nothing`);

  const parts = await distributedParts(config, log, { id, role: 'worker' });
  const workers = new WorkerManager({
    config,
    catalog,
    log,
    onCrash: (info) => log.error(info, `worker for model ${info.alias} (pid ${info.pid}) exited unexpectedly: ${info.reason}`),
  });
  const local = new LocalDispatcher(workers);
  const served = new Set(models);
  const dispatcher = new RoutingDispatcher(served, local, parts.remote);
  const slots = Object.fromEntries(models.map((alias) => [alias, workers.placement(catalog.require(alias)).instances]));
  const queue = new BullmqJobQueue({
    transport: parts.transport,
    records: parts.records,
    retentionMs: config.jobRetentionHours * 3_600_000,
    onFinished: (job) => void service.jobFinished(job).catch((error: unknown) => log.error({ err: error, job: job.id }, 'job cleanup failed')),
    // Each model queue is consumed as fast as that model's workers can take it; composite jobs
    // mostly wait on inner calls, so a few run at once.
    consume: [
      ...models.map((alias) => ({ queue: queueForModel(alias), concurrency: slots[alias] })),
      { queue: COMPOSITE_QUEUE, concurrency: Math.max(2, config.cpuCores) },
    ],
    log,
  });
  const service = new InferenceService({ config, catalog, dispatcher, queue, blobs: parts.jobBlobs, log });
  // Composite tasks keep their state (cameras, vectors, faces, files) in the PostgreSQL stores
  // every node shares; a worker node opens no SQLite.
  const stores = sharedStores(parts.pool);
  const { search } = registerFeatures({ service, config, log, stores });
  // Large inference batches of the files API run here as composite jobs, on the shared stores.
  registerFiles({ service, config, log, stores, catalog, search });

  serveRequests(parts.transport, catalog, parts.requestBlobs, local);
  queue.process(service.runJob, { concurrency: config.jobConcurrency });
  await parts.control.serve(async (command) => {
    if (!served.has(command.alias)) return undefined;
    if (command.op === 'load') return workers.load(catalog.require(command.alias));
    return workers.evict(command.alias, command.force ?? false).catch((error: { code?: string; message?: string }) => ({ error: { code: error.code ?? 'error', message: error.message ?? String(error) } }));
  }, log);
  const startedAt = Date.now();
  let draining = false;
  const info = (): NodeInfo => ({
    id, host: hostname(), pid: process.pid, models, started_at: startedAt, seen_at: Date.now(), draining, slots,
    workers: workers.workerStatus(), loaded: workers.modelStatus(), memory: workers.memoryStatus(),
  });
  const heartbeat = parts.registry.heartbeat(info, config.heartbeatIntervalMs, log);
  void workers.preload(config.preload.filter((a) => served.has(a)).map((a) => catalog.require(a)));
  log.info({ node: id, models, version: VERSION }, `Argus worker ${id} serving ${models.join(', ')}`);

  let closing: Promise<void> | undefined;
  return {
    id,
    models,
    log,
    close() {
      closing ??= (async () => {
        // Say so first: API nodes stop counting on this node for new requests (503 no_worker at
        // once when it was the last), while the jobs it holds finish here and are not re-sent.
        draining = true;
        await heartbeat.beat();
        parts.control.close();
        await parts.transport.stopConsuming();
        await heartbeat.stop();
        await parts.remote.close();
        await parts.transport.close();
        await queue.close();
        await workers.close();
        await parts.pool.end();
      })();
      return closing;
    },
  };
}
