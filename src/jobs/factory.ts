/**
 * The one place that picks the queue backend from config, so composition roots (`app/`) ask for
 * interfaces and never import a backend's classes:
 * - no `queueUrl`: the embedded SQLite queue (`embedded/`), one node;
 * - a `queueUrl`: the distributed backend its scheme names, with everything that goes with it
 *   (transport, node registry and liveness, control bus, the queue dispatcher, PostgreSQL job
 *   records), as a {@link DistributedBackend}.
 * A new backend is one folder implementing `DistributedBackend` (or `JobQueue`) and one line in
 * {@link DISTRIBUTED} (plus its scheme in the config schema's `queueUrl` pattern).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import { connectBullmq } from './bullmq/backend.js';
import type { DistributedBackend, QueueNode } from './distributed.js';
import { EmbeddedQueue } from './embedded/queue.js';
import type { JobQueue, JobRecord } from './types.js';

type Connect = (config: Config, log: Logger, node: QueueNode) => Promise<DistributedBackend>;

/** Distributed backends by the scheme of `queueUrl`. */
const DISTRIBUTED: Record<string, Connect> = {
  'redis:': connectBullmq,
  'rediss:': connectBullmq,
  'redis+sentinel:': connectBullmq,
};

/** Which queue the config asks for. */
export function queueMode(config: Pick<Config, 'queueUrl'>): 'embedded' | 'distributed' {
  return config.queueUrl ? 'distributed' : 'embedded';
}

/** The embedded queue in this node's SQLite database. */
export function openEmbeddedQueue(
  db: SqliteDatabase,
  config: Config,
  hooks: { onFinished: (job: JobRecord) => void; onError: (error: unknown) => void },
): JobQueue {
  return new EmbeddedQueue(db, {
    leaseMs: config.jobLeaseMs,
    maxDepth: config.maxJobQueueDepth,
    retentionMs: config.jobRetentionHours * 3_600_000,
    onFinished: hooks.onFinished,
    onError: hooks.onError,
  });
}

/** Connects this node (an API node or a worker node) to the distributed backend `config.queueUrl` names. */
export async function openDistributedBackend(config: Config, log: Logger, node: QueueNode): Promise<DistributedBackend> {
  if (!config.queueUrl) throw new Error('distributed mode needs a queue URL (--queue, ARGUS_QUEUE_URL)');
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(config.queueUrl)?.[0].toLowerCase() ?? '';
  const connect = DISTRIBUTED[scheme];
  if (!connect) throw new Error(`no queue backend for ${scheme || 'this URL'}: use ${Object.keys(DISTRIBUTED).join(', ')}//…`);
  return connect(config, log, node);
}
