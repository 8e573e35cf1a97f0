/**
 * Real Redis and PostgreSQL for tests. The machine's own (127.0.0.1:6379, :5432) when they answer;
 * otherwise a private server started from the Debian binaries. Each test run gets its own Redis
 * key prefix and its own PostgreSQL database, dropped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface RedisServer {
  url: string;
  port: number;
  /** The private server's process (undefined when the machine's Redis is used). */
  process?: ChildProcess;
  dir?: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the private server again on the same port and data (after stop). */
  restart(): Promise<void>;
}

/**
 * Starts a private redis-server (for tests that kill Redis). With `aof`, writes go to an
 * append-only file in a temp folder, fsynced every second, so a restart keeps the data. With
 * `replicaOf`, it replicates the server on that port.
 */
export async function startRedis(options: { aof?: boolean; replicaOf?: number } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'argus-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.aof ? 'yes' : 'no', '--appendfsync', 'everysec'];
  if (options.replicaOf) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop(signal = 'SIGTERM') {
      const child = server.process;
      // A process ended by a signal has signalCode set and exitCode null.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    async restart() {
      server.process = spawn('redis-server', args, { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await redisAnswers(server.url)); i++) await new Promise((r) => setTimeout(r, 50));
    },
  };
  await server.restart();
  if (!(await redisAnswers(server.url))) throw new Error(`could not start redis-server on port ${port}: is the redis-server package installed?`);
  return server;
}

/** The machine's Redis, or a private one when it does not answer. */
export async function redisForTests(): Promise<RedisServer> {
  const url = 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, port: 6379, stop: async () => undefined, restart: async () => undefined };
  return startRedis();
}

/** A key prefix no other test run uses. */
export function testPrefix(): string {
  return `argus-test-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix. */
export async function clearPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * How to reach the machine's PostgreSQL as the current user: over TCP when it trusts local
 * connections (as this machine is set up), else through the Unix socket with peer authentication
 * (Debian's default for a fresh install).
 */
let base: Promise<(db: string) => string> | undefined;
function pgUrlFor(): Promise<(db: string) => string> {
  base ??= (async () => {
    const user = userInfo().username;
    const tcp = (db: string) => `postgres://${user}@127.0.0.1:5432/${db}`;
    const socket = (db: string) => `postgres://${user}@localhost/${db}?host=/var/run/postgresql`;
    for (const candidate of [tcp, socket]) {
      const client = new pg.Client({ connectionString: candidate('postgres') });
      try {
        await client.connect();
        await client.end();
        return candidate;
      } catch {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error('PostgreSQL is not reachable as this user over 127.0.0.1:5432 or /var/run/postgresql; the test setup (scripts/test-setup.sh, run by npm test) starts it as root, or run: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
  })();
  return base;
}

/** A fresh PostgreSQL database for this run, on the machine's server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = await pgUrlFor();
  const name = `argus_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: url(name),
    async drop() {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Whether a binary is on PATH (for a clear failure message, never a silent skip). */
export function hasBinary(name: string): boolean {
  return spawnSync('which', [name]).status === 0;
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A Redis master, its replica and three sentinels watching them, all private, on free ports. */
export interface SentinelSet {
  /** The name the sentinels know the master by. */
  name: string;
  /** `redis+sentinel://…` for Argus's `--queue`. */
  url: string;
  master: RedisServer;
  replica: RedisServer;
  sentinelPorts: number[];
  /** The master's address as the sentinels say it now. */
  masterPort(): Promise<number>;
  /** Resolves once the sentinels name a master other than `oldPort` and it accepts writes. */
  failedOver(oldPort: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

async function sentinelCommand(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call('SENTINEL', ...args);
  } finally {
    client.disconnect();
  }
}

/**
 * Starts the set with Debian's redis-server (`--sentinel` for the sentinels): quorum 2, the
 * master judged down after `downAfterMs` without an answer. Resolves once every sentinel knows
 * the replica and the two other sentinels, so a failover can happen at once.
 */
export async function startSentinelSet(options: { downAfterMs?: number } = {}): Promise<SentinelSet> {
  const name = 'argus-test';
  const master = await startRedis();
  const replica = await startRedis({ replicaOf: master.port });
  const sentinelPorts: number[] = [];
  const sentinels: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'argus-sentinel-'));
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const file = join(dir, `sentinel-${i}.conf`);
    // Sentinel rewrites its config file (what it learns), so each gets its own, writable.
    writeFileSync(file, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'));
    sentinels.push(spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }));
    sentinelPorts.push(port);
  }
  const set: SentinelSet = {
    name,
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${name}`,
    master,
    replica,
    sentinelPorts,
    async masterPort() {
      for (const port of sentinelPorts) {
        try {
          const [, p] = (await sentinelCommand(port, 'get-master-addr-by-name', name)) as [string, string];
          return Number(p);
        } catch {
          // that sentinel is not answering; ask the next
        }
      }
      throw new Error('no sentinel answers');
    },
    async failedOver(oldPort, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const port = await set.masterPort().catch(() => oldPort);
        if (port !== oldPort) {
          const role = await new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
          role.on('error', () => undefined);
          try {
            await role.connect();
            const info = await role.info('replication');
            if (info.includes('role:master')) return port;
          } catch {
            // not up yet
          } finally {
            role.disconnect();
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no failover from port ${oldPort} within ${timeoutMs} ms`);
    },
    async stop() {
      for (const s of sentinels) if (s.exitCode === null) s.kill('SIGKILL');
      await replica.stop('SIGKILL');
      await master.stop('SIGKILL');
      removeDir(dir);
      removeDir(master.dir);
      removeDir(replica.dir);
    },
  };
  // Sentinels learn of replicas from the master's INFO and of each other over its hello channel.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const ready = await Promise.all(sentinelPorts.map(async (port) => {
        const replicas = (await sentinelCommand(port, 'replicas', name)) as unknown[];
        const others = (await sentinelCommand(port, 'sentinels', name)) as unknown[];
        return replicas.length === 1 && others.length === 2;
      }));
      if (ready.every(Boolean)) break;
    } catch {
      // a sentinel still starting
    }
    if (Date.now() > deadline) {
      await set.stop();
      throw new Error('the sentinels did not find the replica and each other within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return set;
}
