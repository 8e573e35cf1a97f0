/**
 * Real Redis and PostgreSQL for tests. The machine's own (127.0.0.1:6379, :5432) when they answer;
 * otherwise a private server started from the Debian binaries. Each test run gets its own Redis
 * key prefix and its own PostgreSQL database, dropped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
 * append-only file in a temp folder, fsynced every second, so a restart keeps the data.
 */
export async function startRedis(options: { aof?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'argus-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.aof ? 'yes' : 'no', '--appendfsync', 'everysec'];
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop(signal = 'SIGTERM') {
      const child = server.process;
      if (!child || child.exitCode !== null) return;
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
