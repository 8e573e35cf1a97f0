/**
 * The two ways Argus runs, as interchangeable backends behind the same service:
 * - embedded: one process tree, SQLite queue, files for uploads, models in local worker processes;
 * - distributed API node: stateless, jobs in PostgreSQL, work carried by BullMQ (Redis) to worker
 *   nodes (`argus worker`), request images in Redis with a TTL, job inputs in PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { QueueDispatcher } from '../jobs/bullmq/dispatcher.js';
import { BullmqJobQueue } from '../jobs/bullmq/job-queue.js';
import { NodeLiveness } from '../jobs/bullmq/liveness.js';
import { ControlBus, NodeRegistry } from '../jobs/bullmq/registry.js';
import { BullmqTransport } from '../jobs/bullmq/transport.js';
import { LocalDispatcher, type Dispatcher } from '../dispatch/dispatcher.js';
import { EmbeddedQueue } from '../jobs/embedded/queue.js';
import { PostgresJobRecords } from '../jobs/bullmq/postgres-records.js';
import type { JobHandler, JobQueue, JobRecord } from '../jobs/types.js';
import type { Catalog } from '../models/catalog.js';
import type { BlobStore } from '../store/blobs.js';
import { FileBlobStore } from '../store/fs/blobs.js';
import { PostgresBlobStore } from '../store/postgres/blobs.js';
import { openPostgres, type PgPool } from '../store/postgres/database.js';
import { RedisBlobStore } from '../store/redis/blobs.js';
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
  /** BullMQ plumbing (distributed mode), for the queue dashboard, health and metrics. */
  transport?: BullmqTransport;
  /** The sync-request side of distributed mode (re-sends, for metrics). */
  remote?: QueueDispatcher;
  /** Worker nodes' announcements (distributed mode), for metrics. */
  registry?: NodeRegistry;
  /** Jobs the reconciler re-added and failed since start (distributed mode), for metrics. */
  reconciled?: () => { readded: number; failed: number };
  /** PostgreSQL (distributed mode), for the stores every node shares. */
  pool?: PgPool;
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

/** Connection settings of the BullMQ transport, from config; `nodeId` names this node's connections. */
export function transportFor(config: Config, log: Logger, node: { id: string; role: 'api' | 'worker' }): BullmqTransport {
  return new BullmqTransport({
    redisUrl: config.queueUrl!,
    prefix: config.queuePrefix,
    log,
    nodeId: node.id,
    role: node.role,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
  });
}

export function embeddedBackends({ config, catalog, log, db, runsJobs, onJobFinished }: BackendDeps): Backends {
  const workers = new WorkerManager({
    config,
    catalog,
    log,
    onCrash: (info) => log.error(info, `worker for model ${info.alias} (pid ${info.pid}) exited unexpectedly: ${info.reason}`),
  });
  const queue = new EmbeddedQueue(db, {
    leaseMs: config.jobLeaseMs,
    maxDepth: config.maxJobQueueDepth,
    retentionMs: config.jobRetentionHours * 3_600_000,
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

/** The shared pieces of distributed mode, used by API nodes and worker nodes alike. */
export interface DistributedParts {
  pool: PgPool;
  transport: BullmqTransport;
  registry: NodeRegistry;
  liveness: NodeLiveness;
  control: ControlBus;
  records: PostgresJobRecords;
  jobBlobs: PostgresBlobStore;
  requestBlobs: RedisBlobStore;
  remote: QueueDispatcher;
}

/** How long a starting node waits for Redis before it gives up (and says why). */
const REDIS_START_WAIT_MS = 30_000;

export async function distributedParts(config: Config, log: Logger, node: { id: string; role: 'api' | 'worker' }): Promise<DistributedParts> {
  const transport = transportFor(config, log, node);
  try {
    await transport.connection.ready(REDIS_START_WAIT_MS);
  } catch (error) {
    transport.connection.disconnect();
    throw error;
  }
  const pool = await openPostgres(config.dbUrl!);
  const registry = new NodeRegistry(transport.redis, config.queuePrefix, config.nodeTimeoutMs);
  const liveness = new NodeLiveness(transport.redis, registry, config.queuePrefix, log);
  const control = new ControlBus(transport.connection, config.queuePrefix);
  // A request image is wanted for seconds; the TTL only bounds what a crash leaves behind.
  const requestBlobs = new RedisBlobStore(transport.redis, config.queuePrefix, config.requestTimeoutMs + 60_000);
  const remote = new QueueDispatcher({
    transport, registry, liveness, control, blobs: requestBlobs,
    noWorkerWaitMs: config.noWorkerWaitMs,
    timeoutMs: config.requestTimeoutMs,
    maxQueueDepth: config.maxQueueDepth,
    checkIntervalMs: config.requestCheckIntervalMs,
    outageWaitMs: config.queueOutageWaitMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    log,
  });
  return {
    pool, transport, registry, liveness, control, remote, requestBlobs,
    records: new PostgresJobRecords(pool),
    jobBlobs: new PostgresBlobStore(pool, config.jobRetentionHours * 3_600_000),
  };
}

export async function distributedApiBackends({ config, log, onJobFinished }: BackendDeps): Promise<Backends> {
  const parts = await distributedParts(config, log, { id: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`, role: 'api' });
  const queue = new BullmqJobQueue({
    transport: parts.transport,
    records: parts.records,
    retentionMs: config.jobRetentionHours * 3_600_000,
    maxDepth: config.maxJobQueueDepth,
    onFinished: onJobFinished,
    log,
  });
  return {
    mode: 'distributed',
    queue,
    blobs: parts.jobBlobs,
    dispatcher: parts.remote,
    transport: parts.transport,
    remote: parts.remote,
    registry: parts.registry,
    reconciled: () => queue.reconciled,
    pool: parts.pool,
    start() {
      // API nodes run no jobs; they keep PostgreSQL and the queue in agreement, and tidy up.
      queue.startMaintenance(config.reconcileIntervalMs, Math.max(10_000, config.reconcileIntervalMs), async (keys) => {
        await Promise.all(keys.map((k) => parts.jobBlobs.delete(k)));
      });
    },
    async close() {
      await queue.close();
      await parts.remote.close();
      await parts.transport.close();
      await parts.pool.end();
    },
  };
}
