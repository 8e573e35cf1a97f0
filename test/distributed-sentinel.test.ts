import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, spawnWorker, startServer, tempDir, type ChildWorker, type TestServer } from './helpers.js';
import { sample } from './prometheus.js';
import { createTestDatabase, startSentinelSet, testPrefix, type SentinelSet, type TestDatabase } from './services.js';

/**
 * Redis failover with nothing lost: a master, a replica and three sentinels (Debian's
 * redis-server, `--sentinel` for the sentinels), two worker nodes and an API node reaching Redis
 * through `redis+sentinel://`. The master is killed with kill -9 with hundreds of async jobs
 * unfinished and sync requests flowing. Replication is asynchronous: just before the last 50 jobs
 * are accepted the replica is frozen and the master's link to it cut (CLIENT KILL TYPE replica;
 * a frozen replica alone would still find the writes in its socket buffer), so the master it
 * replaces acknowledged jobs it never passed on; the PostgreSQL reconciler must queue them again.
 */
let set: SentinelSet;
let database: TestDatabase;
let api: TestServer;
const workers: ChildWorker[] = [];
const prefix = testPrefix();
let small: Buffer;

// Short locks and a fast reconciler, as in the other fault tests (production: 15 s, 10 s, 30 s).
const fast = { lockDurationMs: 3_000, stalledIntervalMs: 1_000, reconcileIntervalMs: 1_000, maxStalledCount: 5 };

beforeAll(async () => {
  small = await sharp(image('bus.jpg')).resize(240, 320).jpeg().toBuffer();
  set = await startSentinelSet({ downAfterMs: 1_000 });
  database = await createTestDatabase();
  for (let i = 0; i < 2; i++) {
    workers.push(await spawnWorker({
      ARGUS_QUEUE_URL: set.url,
      ARGUS_DB_URL: database.url,
      ARGUS_QUEUE_PREFIX: prefix,
      ARGUS_DATA_DIR: tempDir(),
      ARGUS_LOCK_DURATION_MS: String(fast.lockDurationMs),
      ARGUS_STALLED_INTERVAL_MS: String(fast.stalledIntervalMs),
      ARGUS_MAX_STALLED_COUNT: String(fast.maxStalledCount),
      ARGUS_MODELS: JSON.stringify({ yolo11n: { instances: 1 } }),
      ARGUS_PRELOAD: 'yolo11n',
    }, ['--models', 'yolo11n']));
  }
  api = await startServer({ queueUrl: set.url, dbUrl: database.url, queuePrefix: prefix, ...fast });
}, 240_000);

afterAll(async () => {
  await api?.close();
  for (const w of workers) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
  await database?.drop();
  await set?.stop();
});

async function submit(): Promise<string> {
  const response = await postImage(`${api.url}/v1/jobs`, small, { task: 'detect', model: 'yolo11n' });
  expect(response.status).toBe(202);
  return (await json(response)).id;
}

interface SyncResult { start: number; end: number; status: number; code?: string; retryAfter?: string | null }

describe('kill -9 of the Redis master behind Sentinel', () => {
  it('every accepted job completes once (the reconciler re-queues what the replica never got); sync requests recover; nodes reconnect by themselves', async () => {
    expect((await json(await fetch(`${api.url}/healthz`))).queue).toMatchObject({ state: 'connected', sentinel: true });
    const ids: string[] = [];
    for (let i = 0; i < 300; i += 25) ids.push(...await Promise.all(Array.from({ length: 25 }, submit)));

    // Sync requests flow all along: two clients, each pausing a quarter second after a refusal.
    const sync: SyncResult[] = [];
    let flowing = true;
    const clients = [0, 1].map(async () => {
      while (flowing) {
        const start = Date.now();
        const r = await postImage(`${api.url}/v1/detect`, small, { model: 'yolo11n' });
        const body = await json(r);
        sync.push({ start, end: Date.now(), status: r.status, code: body.error?.code, retryAfter: r.headers.get('retry-after') });
        if (r.status !== 200) await new Promise((done) => setTimeout(done, 250));
      }
    });
    try {
      await failover(ids, sync);
    } finally {
      flowing = false;
      await Promise.allSettled(clients);
    }
  }, 600_000);
});

/** The failover itself and what must hold after it (sync requests are gathered in `sync` meanwhile). */
async function failover(ids: string[], sync: SyncResult[]): Promise<void> {
  const succeeded = async () => (await json(await fetch(`${api.url}/healthz`))).jobs.succeeded as number;
  await eventually(async () => ((await succeeded()) >= 20 ? true : undefined), 120_000, 200);

  // The replica stops taking the master's writes; the next jobs are accepted by the master alone.
  set.replica.process!.kill('SIGSTOP');
  const master = new Redis({ port: set.master.port, host: '127.0.0.1' });
  expect(await master.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
  master.disconnect();
  const lagged = await Promise.all(Array.from({ length: 50 }, submit));
  expect(await succeeded()).toBeLessThan(300); // hundreds still unfinished when the master dies
  const killed = Date.now();
  await set.master.stop('SIGKILL');
  set.replica.process!.kill('SIGCONT');
  const newPort = await set.failedOver(set.master.port, 60_000);
  const failoverMs = Date.now() - killed;
  expect(newPort).toBe(set.replica.port);

  // The proof that replication lost them: the new master has none of the lagged jobs, while
  // PostgreSQL has every one of their records.
  const direct = new Redis({ port: newPort, host: '127.0.0.1' });
  const present = await Promise.all(lagged.map((id) => direct.exists(`${prefix}:m.yolo11n:${id}`)));
  direct.disconnect();
  const missing = present.filter((n) => n === 0).length;
  expect(missing).toBe(lagged.length);

  const all = [...ids, ...lagged];
  const jobs = await eventually(async () => {
    const records = await Promise.all(all.map(async (id) => json(await fetch(`${api.url}/v1/jobs/${id}`))));
    return records.every((j) => j.status === 'succeeded' || j.status === 'failed') ? records : undefined;
  }, 360_000, 1_000);
  const done = Date.now();

  // Exactly once: every job succeeded, each with its own result.
  expect(jobs.map((j) => j.status)).toEqual(all.map(() => 'succeeded'));
  expect(jobs.every((j, i) => j.result.id === all[i])).toBe(true);
  const metrics = await (await fetch(`${api.url}/metrics`)).text();
  const readded = sample(metrics, 'argus_jobs_reconciled_total', { action: 'readded' }) ?? 0;
  expect(readded).toBeGreaterThanOrEqual(missing);

  // Sync requests: none hung (no 504); refusals were 503 with Retry-After; answered again soon.
  const after = sync.filter((s) => s.end >= killed);
  expect(after.every((s) => s.status === 200 || s.status === 503)).toBe(true);
  for (const s of after.filter((x) => x.status === 503)) {
    expect(['queue_unavailable', 'request_lost', 'no_worker']).toContain(s.code);
    expect(s.retryAfter).toMatch(/^\d+$/);
  }
  const firstOk = after.find((s) => s.status === 200 && s.start >= killed);
  expect(firstOk).toBeDefined();
  const recoveryMs = firstOk!.end - killed;
  const longest = Math.max(...after.map((s) => s.end - s.start));
  expect(longest).toBeLessThan(15_000);
  expect(recoveryMs).toBeLessThan(20_000);
  const counts = after.reduce<Record<string, number>>((c, s) => ({ ...c, [s.code ?? String(s.status)]: (c[s.code ?? String(s.status)] ?? 0) + 1 }), {});
  console.log(`sentinel failover: sentinels promoted the replica ${failoverMs} ms after the kill; first sync answer ${recoveryMs} ms after it; longest sync request ${longest} ms; sync results after the kill ${JSON.stringify(counts)}; ${missing} jobs missing from the new master, ${readded} re-added by the reconciler; all ${all.length} jobs done ${done - killed} ms after the kill`);

  // The nodes reconnected by themselves, and each said so once.
  expect((await json(await fetch(`${api.url}/healthz`))).queue).toMatchObject({ state: 'connected', sentinel: true });
  for (const w of workers) {
    const lines = w.output().split('\n').filter((l) => l.includes('"event":"queue_connection_restored"'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(w.output()).not.toContain('Unhandled error event');
  }
}
