import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { QueueConnection } from './connection.js';
import type { ControlCommand, NodeInfo } from '../distributed.js';

export type { ControlCommand, NodeInfo };

/**
 * Worker nodes announce themselves in Redis with a heartbeat key that expires: a node that dies
 * disappears within the TTL (`nodeTimeoutMs`), whichever way it dies (a frozen process or a
 * machine cut off from the network included). API nodes read the announcements to know which
 * models are served (a request for a model nobody serves fails fast) and to show remote workers
 * in the status. The TTL is Redis's own, so the nodes' clocks need not agree.
 */
export class NodeRegistry {
  private cache?: { at: number; nodes: NodeInfo[] };

  /** @param ttlMs how long an announcement lives: a node silent this long counts as gone. */
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlMs = 8_000) {}

  private key(id: string): string {
    return `${this.prefix}:nodes:${id}`;
  }

  async announce(info: NodeInfo): Promise<void> {
    await this.redis.set(this.key(info.id), JSON.stringify(info), 'PX', this.ttlMs);
  }

  async withdraw(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  /** Live nodes (cached for a second: every sync request asks). */
  async nodes(maxAgeMs = 1_000): Promise<NodeInfo[]> {
    if (this.cache && Date.now() - this.cache.at < maxAgeMs) return this.cache.nodes;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:nodes:*`, 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const values = keys.length ? await this.redis.mget(...keys) : [];
    const nodes = values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as NodeInfo);
    this.cache = { at: Date.now(), nodes };
    return nodes;
  }

  /** The nodes of the last read (possibly stale; empty before any), for answers that must not wait on Redis. */
  lastKnown(): NodeInfo[] {
    return this.cache?.nodes ?? [];
  }

  /**
   * Re-announces `info()` every `intervalMs`; `beat` announces now (a change worth telling at once),
   * `stop` ends the beats and withdraws the announcement.
   */
  heartbeat(info: () => NodeInfo, intervalMs: number, log?: Logger): { beat(): Promise<void>; stop(): Promise<void> } {
    const beat = () => this.announce({ ...info(), seen_at: Date.now() }).catch((error: unknown) => log?.warn({ err: error }, 'heartbeat failed'));
    void beat();
    const timer = setInterval(beat, intervalMs);
    timer.unref();
    return {
      beat,
      stop: async () => {
        clearInterval(timer);
        await this.withdraw(info().id).catch(() => undefined);
      },
    };
  }
}

/**
 * Operator commands for models on remote worker nodes (evict, load), over Redis pub/sub: the API
 * node publishes one command and gathers the replies of the nodes that serve the model.
 */
export class ControlBus {
  private subscriber?: Redis;

  private readonly redis: Redis;

  constructor(private readonly connection: QueueConnection, private readonly prefix: string) {
    this.redis = connection.redis;
  }

  private get channel(): string {
    return `${this.prefix}:control`;
  }

  /** Publishes a command and collects replies until `expected` have come or `timeoutMs` passes. */
  async request<R>(command: ControlCommand, expected: number, timeoutMs: number): Promise<R[]> {
    const id = randomUUID();
    const replyChannel = `${this.channel}:reply:${id}`;
    const listener = this.connection.duplicate();
    const replies: R[] = [];
    try {
      await listener.subscribe(replyChannel);
      const done = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        listener.on('message', (_channel, message) => {
          replies.push(JSON.parse(message) as R);
          if (replies.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await this.redis.publish(this.channel, JSON.stringify({ ...command, id }));
      await done;
      return replies;
    } finally {
      listener.disconnect();
    }
  }

  /** Worker side: answers commands with `handle` (which returns undefined to stay silent). */
  async serve(handle: (command: ControlCommand) => Promise<unknown>, log?: Logger): Promise<void> {
    this.subscriber = this.connection.duplicate();
    this.subscriber.on('message', (_channel, message) => {
      const command = JSON.parse(message) as ControlCommand & { id: string };
      handle(command).then(
        async (reply) => {
          if (reply !== undefined) await this.redis.publish(`${this.channel}:reply:${command.id}`, JSON.stringify(reply));
        },
        (error: unknown) => log?.warn({ err: error, command }, 'control command failed'),
      );
    });
    await this.subscriber.subscribe(this.channel);
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
