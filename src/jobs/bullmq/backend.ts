/**
 * The BullMQ backend of distributed mode: Redis carries the work (BullMQ queues, heartbeats,
 * control commands, request images with a TTL), PostgreSQL holds job records and job inputs.
 * Built by `jobs/factory.ts`; nodes see it as a {@link DistributedBackend}.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import { PostgresBlobStore } from '../../store/postgres/blobs.js';
import { openPostgres } from '../../store/postgres/database.js';
import { RedisBlobStore } from '../../store/redis/blobs.js';
import type { DistributedBackend, QueueNode } from '../distributed.js';
import { QueueDispatcher } from './dispatcher.js';
import { BullmqJobQueue } from './job-queue.js';
import { NodeLiveness } from './liveness.js';
import { PostgresJobRecords } from './postgres-records.js';
import { queueBacklog } from './queue-backlog.js';
import { ControlBus, NodeRegistry } from './registry.js';
import { serveRequests } from './request-server.js';
import { BullmqTransport, COMPOSITE_QUEUE, queueForModel } from './transport.js';

/** How long a starting node waits for Redis before it gives up (and says why). */
const REDIS_START_WAIT_MS = 30_000;

/** Connection settings of the BullMQ transport, from config; `node.id` names this node's connections. */
export function transportFor(config: Config, log: Logger, node: QueueNode): BullmqTransport {
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

/** Connects to Redis (waiting for it a while) and PostgreSQL, and builds this node's side of the deployment. */
export async function connectBullmq(config: Config, log: Logger, node: QueueNode): Promise<DistributedBackend> {
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
  const records = new PostgresJobRecords(pool);
  const queues = (models: string[]) => [...models.map(queueForModel), COMPOSITE_QUEUE].map((name) => transport.queue(name));
  return {
    pool,
    jobBlobs: new PostgresBlobStore(pool, config.jobRetentionHours * 3_600_000),
    remote,
    connectionStatus: () => transport.connection.status(),
    nodes: (maxAgeMs) => registry.nodes(maxAgeMs),
    backlog: (models) => Promise.all(queues(models).map(queueBacklog)),
    boardQueues: queues,
    // Fails fast: the queue's own connection waits for Redis to come back, which would hold every request.
    rateLimitRedis: () => transport.redis.duplicate({ maxRetriesPerRequest: 1, enableOfflineQueue: false }),
    jobQueue: ({ maxDepth, onFinished, consume }) => new BullmqJobQueue({
      transport,
      records,
      retentionMs: config.jobRetentionHours * 3_600_000,
      maxDepth,
      onFinished,
      consume: consume && [
        ...Object.entries(consume.models).map(([alias, concurrency]) => ({ queue: queueForModel(alias), concurrency })),
        { queue: COMPOSITE_QUEUE, concurrency: consume.composite },
      ],
      log,
    }),
    serveRequests: (catalog, local) => serveRequests(transport, catalog, requestBlobs, local),
    async serveControl(handle, serveLog) {
      await control.serve(handle, serveLog);
      return { close: () => control.close() };
    },
    heartbeat: (info, intervalMs, beatLog) => registry.heartbeat(info, intervalMs, beatLog),
    stopConsuming: () => transport.stopConsuming(),
    async close() {
      await remote.close();
      await transport.close();
    },
  };
}
