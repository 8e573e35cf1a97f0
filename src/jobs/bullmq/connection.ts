/**
 * A node's connection to Redis (one server or a Sentinel master), watched: ioredis's error events
 * are handled (an unhandled one is printed to stderr with a stack trace on every retry), a drop is
 * logged once as a structured warning and the recovery once more, and the state is there for
 * `/healthz`, `/metrics` and the sync-request watchdog.
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseQueueUrl, type RedisTarget } from './redis-url.js';
import type { QueueConnectionState, QueueConnectionStatus } from '../distributed.js';

export type { QueueConnectionState, QueueConnectionStatus };

export interface QueueConnectionOptions {
  log?: Logger;
  /**
   * CLIENT SETNAME of every connection this node opens (kept across reconnects), so other nodes
   * can see from Redis's client list that this node's process is alive.
   */
  connectionName?: string;
}

/** The connection name of a node: other nodes find it in Redis's client list while its process lives. */
export function nodeConnectionName(prefix: string, role: 'api' | 'worker', nodeId: string): string {
  return `${prefix}:argus-${role}:${nodeId}`;
}

/** Longest pause between reconnection attempts: a restarted or failed-over Redis is found within it. */
const MAX_RETRY_DELAY_MS = 1_000;

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? error);
}

/**
 * Options every Argus connection shares. BullMQ needs maxRetriesPerRequest: null so that blocking
 * commands survive a reconnection; READONLY (a master demoted to replica by a failover, still
 * answering) makes ioredis reconnect and ask the sentinels again.
 */
function baseOptions(target: RedisTarget, connectionName?: string): RedisOptions {
  return {
    ...target.options,
    maxRetriesPerRequest: null,
    connectionName,
    retryStrategy: (times) => Math.min(100 * times, MAX_RETRY_DELAY_MS),
    sentinelRetryStrategy: (times) => Math.min(100 * times, MAX_RETRY_DELAY_MS),
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
  };
}

export class QueueConnection extends EventEmitter<{ change: [QueueConnectionStatus] }> {
  /** The primary connection: its state is the node's connection state. */
  readonly redis: Redis;
  private readonly target: RedisTarget;
  private readonly duplicates = new Set<Redis>();
  private state: QueueConnectionState = 'connecting';
  private since = Date.now();
  private drops = 0;
  private lastError?: string;
  private closing = false;

  constructor(url: string, private readonly options: QueueConnectionOptions = {}) {
    super();
    this.target = parseQueueUrl(url);
    const redisOptions = baseOptions(this.target, options.connectionName);
    this.redis = this.target.url ? new Redis(this.target.url, redisOptions) : new Redis(redisOptions);
    this.redis.on('ready', () => this.up());
    this.redis.on('error', (error) => this.down(error));
    // A close without an error event (Redis shut down cleanly, SIGTERM) is a drop too.
    this.redis.on('close', () => this.down(undefined));
  }

  private set(state: QueueConnectionState): void {
    this.state = state;
    this.since = Date.now();
    this.emit('change', this.status());
  }

  private up(): void {
    if (this.state === 'connected') return;
    const downMs = Date.now() - this.since;
    const wasDown = this.state === 'disconnected';
    this.lastError = undefined;
    this.set('connected');
    if (wasDown) this.options.log?.warn({ event: 'queue_connection_restored', target: this.target.display, down_ms: downMs }, `connection to Redis (${this.target.display}) is back after ${(downMs / 1000).toFixed(1)} s`);
  }

  private down(error: unknown): void {
    if (error !== undefined) this.lastError = describe(error);
    if (this.closing || this.state === 'disconnected') return;
    const wasConnected = this.state === 'connected';
    if (wasConnected) this.drops++;
    this.set('disconnected');
    this.options.log?.warn(
      { event: 'queue_connection_lost', target: this.target.display, err: this.lastError },
      wasConnected
        ? `lost the connection to Redis (${this.target.display}): ${this.lastError ?? 'closed'}; reconnecting (sync requests get 503 queue_unavailable until it is back)`
        : `cannot reach Redis (${this.target.display}): ${this.lastError ?? 'closed'}; still trying`,
    );
  }

  /**
   * Another connection to the same Redis (BullMQ workers and event listeners, pub/sub), with the
   * same name. Its errors are expected whenever the primary's are, so they are not logged again.
   */
  duplicate(): Redis {
    const copy = this.redis.duplicate();
    copy.on('error', (error) => this.options.log?.debug({ err: describe(error) }, 'redis connection error (secondary connection)'));
    this.duplicates.add(copy);
    copy.once('end', () => this.duplicates.delete(copy));
    return copy;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Milliseconds since the connection dropped (0 while connected). */
  downForMs(): number {
    return this.state === 'connected' ? 0 : Date.now() - this.since;
  }

  /** Milliseconds since the connection was last (re)established (Infinity while down). */
  upForMs(): number {
    return this.state === 'connected' ? Date.now() - this.since : Infinity;
  }

  status(): QueueConnectionStatus {
    return {
      state: this.state,
      since: this.since,
      target: this.target.display,
      sentinel: this.target.sentinel,
      drops: this.drops,
      ...(this.state !== 'connected' && this.lastError ? { last_error: this.lastError } : {}),
    };
  }

  /** Resolves once connected, or rejects after `timeoutMs` with the last error. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.connected) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('change', onChange);
        reject(new Error(`cannot reach Redis at ${this.target.display} within ${timeoutMs} ms: ${this.lastError ?? 'no answer'}`));
      }, timeoutMs);
      const onChange = (status: QueueConnectionStatus) => {
        if (status.state !== 'connected') return;
        clearTimeout(timer);
        this.off('change', onChange);
        resolve();
      };
      this.on('change', onChange);
    });
  }

  /** From now on a drop is the node stopping, not an outage: nothing is logged. */
  markClosing(): void {
    this.closing = true;
  }

  /** Closes every connection this object opened. */
  disconnect(): void {
    this.closing = true;
    for (const copy of this.duplicates) copy.disconnect();
    this.redis.disconnect();
  }
}
