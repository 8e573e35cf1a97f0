/**
 * The two ways Argus runs, as interchangeable backends behind the same service:
 * - embedded: one process tree, SQLite queue, files for uploads, models in local worker processes;
 * - distributed API node: stateless, jobs in PostgreSQL, work carried by the queue backend
 *   (BullMQ on Redis) to worker nodes (`argus worker`), request images in Redis with a TTL, job
 *   inputs in PostgreSQL.
 * The queue backend itself comes from `jobs/factory.ts`; this file only composes it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Dispatcher } from '../dispatch/types.js';
import { LocalDispatcher } from '../dispatch/local.js';
import type { DistributedBackend } from '../jobs/distributed.js';
import { openDistributedBackend, openEmbeddedQueue } from '../jobs/factory.js';
import type { JobHandler, JobQueue, JobRecord } from '../jobs/types.js';
import type { Catalog } from '../models/catalog.js';
import type { BlobStore } from '../store/blobs.js';
import { FileBlobStore } from '../store/fs/blobs.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import { WorkerManager } from '../workers/manager.js';

export interface Backends {
  mode: 'embedded' | 'distributed';
  queue: JobQueue;
  /** Where async-job inputs are stored. */
  blobs: BlobStore;
  dispatcher: Dispatcher;
  /** Local model workers (embedded mode only; a distributed API node has none). */
  workers?: WorkerManager;
  /**
   * The distributed backend (distributed mode): PostgreSQL for the stores every node shares, the
   * queue connection, backlog and nodes for the queue dashboard, health and metrics.
   */
  distributed?: DistributedBackend;
  /** Jobs the reconciler re-added and failed since start (distributed mode), for metrics. */
  reconciled?: () => { readded: number; failed: number };
  /** Starts consuming or maintaining jobs, once the service exists. */
  start(runJob: JobHandler): void;
  close(graceMs: number): Promise<void>;
}

export interface BackendDeps {
  config: Config;
  catalog: Catalog;
  log: Logger;
  db: SqliteDatabase;
  /** Server (owns its data dir, runs jobs) or a one-shot CLI command. */
  runsJobs: boolean;
  onJobFinished: (job: JobRecord) => void;
}

export function embeddedBackends({ config, catalog, log, db, runsJobs, onJobFinished }: BackendDeps): Backends {
  const workers = new WorkerManager({
    config,
    catalog,
    log,
    onCrash: (info) => log.error(info, `worker for model ${info.alias} (pid ${info.pid}) exited unexpectedly: ${info.reason}`),
  });
  const queue = openEmbeddedQueue(db, config, {
    onFinished: onJobFinished,
    onError: (error) => log.error({ err: error }, 'job queue error'),
  });
  const dispatcher = new LocalDispatcher(workers);
  return {
    mode: 'embedded',
    queue,
    blobs: new FileBlobStore(join(config.dataDir, 'uploads')),
    dispatcher,
    workers,
    start(runJob) {
      if (runsJobs) queue.process(runJob, { concurrency: config.jobConcurrency, exclusive: true });
    },
    async close(graceMs) {
      await queue.close(graceMs);
      await dispatcher.close();
    },
  };
}

/** A node id: unique across restarts and machines, readable in logs and Redis's client list. */
export function nodeId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export async function distributedApiBackends({ config, log, onJobFinished }: BackendDeps): Promise<Backends> {
  const backend = await openDistributedBackend(config, log, { id: nodeId(), role: 'api' });
  const queue = backend.jobQueue({ maxDepth: config.maxJobQueueDepth, onFinished: onJobFinished });
  return {
    mode: 'distributed',
    queue,
    blobs: backend.jobBlobs,
    dispatcher: backend.remote,
    distributed: backend,
    reconciled: () => queue.reconciled,
    start() {
      // API nodes run no jobs; they keep PostgreSQL and the queue in agreement, and tidy up.
      queue.startMaintenance(config.reconcileIntervalMs, Math.max(10_000, config.reconcileIntervalMs), async (keys) => {
        await Promise.all(keys.map((k) => backend.jobBlobs.delete(k)));
      });
    },
    async close() {
      await queue.close();
      await backend.close();
      await backend.pool.end();
    },
  };
}
