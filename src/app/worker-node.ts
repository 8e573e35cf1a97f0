/**
 * `argus worker`: an inference node of a distributed deployment. It serves the queues of the
 * models it hosts (synchronous requests and async jobs), runs them on its own worker processes,
 * announces itself with a heartbeat, and answers load/evict commands. Any number can run, on any
 * machine that reaches the same Redis and PostgreSQL.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createLogger, VERSION } from './argus.js';
import { nodeId } from './deployment.js';
import type { Config } from '../config/load.js';
import type { NodeInfo } from '../jobs/distributed.js';
import { openDistributedBackend } from '../jobs/factory.js';
import { LocalDispatcher } from '../dispatch/local.js';
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
  const id = nodeId();
  const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
  for (const problem of catalog.problems) log.error(problem);
  const models = servedModels(config, catalog);
  if (!models.length) throw new Error(`no model is installed in ${config.modelsDir}, so this worker would serve nothing`);

  const backend = await openDistributedBackend(config, log, { id, role: 'worker' });
  const workers = new WorkerManager({
    config,
    catalog,
    log,
    onCrash: (info) => log.error(info, `worker for model ${info.alias} (pid ${info.pid}) exited unexpectedly: ${info.reason}`),
  });
  const local = new LocalDispatcher(workers);
  const served = new Set(models);
  const dispatcher = new RoutingDispatcher(served, local, backend.remote);
  const slots = Object.fromEntries(models.map((alias) => [alias, workers.placement(catalog.require(alias)).instances]));
  const queue = backend.jobQueue({
    onFinished: (job) => void service.jobFinished(job).catch((error: unknown) => log.error({ err: error, job: job.id }, 'job cleanup failed')),
    // Each model queue is consumed as fast as that model's workers can take it; composite jobs
    // mostly wait on inner calls, so a few run at once.
    consume: { models: slots, composite: Math.max(2, config.cpuCores) },
  });
  const service = new InferenceService({ config, catalog, dispatcher, queue, blobs: backend.jobBlobs, log });
  // Composite tasks keep their state (cameras, vectors, faces, files) in the PostgreSQL stores
  // every node shares; a worker node opens no SQLite.
  const stores = sharedStores(backend.pool);
  const { search } = registerFeatures({ service, config, log, stores });
  // Large inference batches of the files API run here as composite jobs, on the shared stores.
  registerFiles({ service, config, log, stores, catalog, search });

  backend.serveRequests(catalog, local);
  queue.process(service.runJob, { concurrency: config.jobConcurrency });
  const control = await backend.serveControl(async (command) => {
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
  const heartbeat = backend.heartbeat(info, config.heartbeatIntervalMs, log);
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
        control.close();
        await backend.stopConsuming();
        await heartbeat.stop();
        await backend.close();
        await queue.close();
        await workers.close();
        await backend.pool.end();
      })();
      return closing;
    },
  };
}
