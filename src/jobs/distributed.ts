/**
 * What a distributed queue backend gives the nodes of a deployment, as interfaces: the composition
 * roots (`app/`), the health and metrics services ask for these and never for a backend's classes.
 * The BullMQ backend (`bullmq/backend.ts`) implements them; `factory.ts` picks one from config.
 */
import type { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Catalog } from '../models/catalog.js';
import type { BlobStore } from '../store/blobs.js';
import type { PgPool } from '../store/postgres/database.js';
import type { Dispatcher, MemoryStatus, ModelRuntimeStatus, WorkerStatus } from '../dispatch/types.js';
import type { JobQueue, JobRecord } from './types.js';

export type QueueConnectionState = 'connecting' | 'connected' | 'disconnected';

/** What `/healthz` says about the queue connection (field `queue`). */
export interface QueueConnectionStatus {
  state: QueueConnectionState;
  /** Unix time (ms) of the last change of state. */
  since: number;
  /** Redis URL without credentials. */
  target: string;
  sentinel: boolean;
  /** Times the connection dropped since start. */
  drops: number;
  /** The last connection error, while disconnected. */
  last_error?: string;
}

/** What waits in one model's queue: what an autoscaler scales worker nodes on. */
export interface QueueBacklog {
  queue: string;
  /** Sync requests (interactive) and async jobs (batch) waiting for a worker node. */
  waiting: { interactive: number; batch: number };
  /** Age in seconds of the oldest waiting item of each kind (0 when none waits). */
  oldestS: { interactive: number; batch: number };
  /** Jobs a worker node is running now. */
  active: number;
}

/** What a worker node says about itself in each heartbeat. */
export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  /** Models this node serves (consumes the queues of). */
  models: string[];
  started_at: number;
  seen_at: number;
  /** Jobs of each model it takes at once (its queue concurrency). */
  slots?: Record<string, number>;
  /** Stopping: finishing the jobs it holds, taking no more (it serves no model any longer). */
  draining?: boolean;
  workers: WorkerStatus[];
  loaded: ModelRuntimeStatus[];
  memory: MemoryStatus;
}

/** Why the watchdog ended a request's wait; `resend` verdicts come back to the dispatcher as request_lost. */
export type Verdict = 'lost' | 'node_dead' | 'no_worker' | 'outage';

/** A request sent again, and why (for metrics). */
export interface Resend {
  model: string;
  reason: Verdict;
}

/** An operator command for a model on the worker nodes that serve it. */
export interface ControlCommand {
  op: 'evict' | 'load';
  alias: string;
  force?: boolean;
}

/** Sends model runs to the worker nodes that serve them (sync requests), and says what it re-sent. */
export interface RemoteDispatcher extends Dispatcher {
  readonly events: EventEmitter<{ resend: [Resend]; verdict: [Resend] }>;
}

/** Async jobs of a distributed deployment: records in PostgreSQL, the work carried to worker nodes. */
export interface DistributedJobQueue extends JobQueue {
  /**
   * API nodes: every `intervalMs`, puts back jobs the queue lost and fails those it gave up on
   * (records older than `graceMs`), and purges expired records, handing their input keys to `onPurged`.
   */
  startMaintenance(intervalMs: number, graceMs: number, onPurged?: (inputKeys: string[]) => Promise<void>): void;
  /** Jobs re-added and failed by maintenance since start (for metrics). */
  readonly reconciled: { readded: number; failed: number };
}

export interface DistributedJobQueueOptions {
  /** Async jobs waiting per queue beyond which submissions get 429. @defaultValue unlimited */
  maxDepth?: number;
  onFinished?: (job: JobRecord) => void;
  /** Worker nodes: the jobs this node takes once `process` is called: per model, and composite ones, with how many at once. */
  consume?: { models: Record<string, number>; composite: number };
}

export interface Heartbeat {
  /** Announces now (a change worth telling at once). */
  beat(): Promise<void>;
  /** Ends the beats and withdraws the announcement. */
  stop(): Promise<void>;
}

/** This node's side of a distributed deployment. */
export interface DistributedBackend {
  /** PostgreSQL: job records, and the stores every node shares. */
  readonly pool: PgPool;
  /** Where async-job inputs are stored (as durable as the job record). */
  readonly jobBlobs: BlobStore;
  /** Sends model runs through the queue to the worker nodes. */
  readonly remote: RemoteDispatcher;
  /** The queue connection's state (for /healthz and /metrics). */
  connectionStatus(): QueueConnectionStatus;
  /** Live worker nodes, from their heartbeats (cached for `maxAgeMs`). */
  nodes(maxAgeMs?: number): Promise<NodeInfo[]>;
  /** What waits in the queues of these models and the composite queue. */
  backlog(models: string[]): Promise<QueueBacklog[]>;
  /** The async-job queue; `process` (worker nodes) takes the jobs named in `consume`. */
  jobQueue(options: DistributedJobQueueOptions): DistributedJobQueue;
  /**
   * The queues of these models and the composite one as BullMQ objects, for the admin queue board
   * (bull-board reads BullMQ only); absent in a backend without one.
   */
  boardQueues?(models: string[]): Queue[];
  /** A fail-fast Redis connection of its own for counting rate limits across API nodes; absent in a backend without Redis. */
  rateLimitRedis?(): Redis;
  /** Worker nodes: runs the sync requests for the models this node serves on `local`. */
  serveRequests(catalog: Catalog, local: Dispatcher): void;
  /** Worker nodes: answers operator commands with `handle` (undefined: stay silent); `close` stops listening. */
  serveControl(handle: (command: ControlCommand) => Promise<unknown>, log?: Logger): Promise<{ close(): void }>;
  /** Worker nodes: announces `info()` every `intervalMs`. */
  heartbeat(info: () => NodeInfo, intervalMs: number, log?: Logger): Heartbeat;
  /** Worker nodes: stops taking requests and jobs; those running finish. */
  stopConsuming(): Promise<void>;
  /** Closes the dispatcher and the queue connections (the pool is the caller's to end, after its job queue). */
  close(): Promise<void>;
}

/** Which node a backend is opened for: `id` names its connections. */
export interface QueueNode {
  id: string;
  role: 'api' | 'worker';
}
