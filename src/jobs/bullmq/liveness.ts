import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NodeInfo, NodeRegistry } from './registry.js';
import { nodeConnectionName } from './connection.js';

/** Which worker nodes are alive at one moment, and what they serve. */
export interface LivenessSnapshot {
  nodes: NodeInfo[];
  alive(nodeId: string): boolean;
  serves(alias: string): boolean;
}

/**
 * Decides whether a worker node is alive from two signals:
 * - its heartbeat key (registry): gone `nodeTimeoutMs` after the node's last beat, whatever
 *   stopped it — a frozen process, a machine off the network;
 * - its connections in Redis's client list (`CLIENT LIST`, named after the node): a process that
 *   dies, kill -9 included, has its sockets closed by its kernel at once, so it is seen gone at the
 *   next look instead of after the heartbeat's TTL.
 * Where Redis refuses CLIENT LIST (some hosted services), the heartbeat alone decides.
 */
export class NodeLiveness {
  private clientListWorks = true;
  private cache?: { at: number; snapshot: Promise<LivenessSnapshot> };
  private refreshing?: Promise<void>;

  constructor(private readonly redis: Redis, private readonly registry: NodeRegistry, private readonly prefix: string, private readonly log?: Logger) {}

  /** Ids of the nodes with at least one connection to Redis now; undefined where CLIENT LIST is refused. */
  private async connectedNodes(): Promise<Set<string> | undefined> {
    if (!this.clientListWorks) return undefined;
    let list: string;
    try {
      list = (await this.redis.call('CLIENT', 'LIST')) as string;
    } catch (error) {
      if (!/unknown command|not allowed|NOPERM|disabled/i.test((error as Error).message)) throw error;
      this.clientListWorks = false;
      this.log?.warn({ err: (error as Error).message }, 'Redis refuses CLIENT LIST: a dead worker node is noticed when its heartbeat expires (nodeTimeoutMs), not at once');
      return undefined;
    }
    const marker = nodeConnectionName(this.prefix, 'worker', '');
    const ids = new Set<string>();
    for (const match of list.matchAll(/ name=(\S+)/g)) {
      if (match[1].startsWith(marker)) ids.add(match[1].slice(marker.length));
    }
    return ids;
  }

  /**
   * Both signals, read at most `maxAgeMs` ago (concurrent callers share one read: every sync
   * request asks). A snapshot older than `refreshAfterMs` is still returned while it is within
   * `maxAgeMs`, and a fresh one is read meanwhile, so that steady traffic does not wait for
   * Redis's client list on the request path.
   */
  snapshot(maxAgeMs = 0, refreshAfterMs = maxAgeMs): Promise<LivenessSnapshot> {
    const cache = this.cache;
    const age = cache ? Date.now() - cache.at : Infinity;
    if (cache && age <= maxAgeMs) {
      if (age > refreshAfterMs && !this.refreshing) this.refresh();
      return cache.snapshot;
    }
    const snapshot = this.read();
    this.cache = { at: Date.now(), snapshot };
    snapshot.catch(() => {
      if (this.cache?.snapshot === snapshot) this.cache = undefined;
    });
    return snapshot;
  }

  /** Reads a snapshot in the background; it replaces the cached one once it has arrived. */
  private refresh(): void {
    const at = Date.now();
    this.refreshing = this.read().then((snapshot) => {
      if (!this.cache || this.cache.at < at) this.cache = { at, snapshot: Promise.resolve(snapshot) };
    }, () => undefined).finally(() => {
      this.refreshing = undefined;
    });
  }

  private async read(): Promise<LivenessSnapshot> {
    const [nodes, connected] = await Promise.all([this.registry.nodes(0), this.connectedNodes()]);
    const live = nodes.filter((n) => !connected || connected.has(n.id));
    const ids = new Set(live.map((n) => n.id));
    return {
      nodes: live,
      alive: (id) => ids.has(id),
      serves: (alias) => live.some((n) => !n.draining && n.models.includes(alias)),
    };
  }
}
