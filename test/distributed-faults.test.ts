import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { childrenOf, eventually, image, json, postImage, spawnServer, spawnWorker, startServer, tempDir, type ChildServer, type ChildWorker, type TestServer } from './helpers.js';
import { clearPrefix, createTestDatabase, startRedis, testPrefix, type RedisServer, type TestDatabase } from './services.js';

/**
 * What must survive machines failing: delivery is at least once, completion exactly once, and no
 * accepted job is lost. A private Redis (append-only file on, so it can be killed and restarted)
 * and a fresh PostgreSQL database per test.
 */
let redis: RedisServer;
let small: Buffer;
let database: TestDatabase;
let prefix: string;
const processes: Array<ChildServer | ChildWorker> = [];
const servers: TestServer[] = [];

// Short locks so a dead worker's job moves on in seconds (production defaults: 15 s and 10 s).
const fast = { lockDurationMs: 3_000, stalledIntervalMs: 1_000, reconcileIntervalMs: 1_000 };

beforeAll(async () => {
  redis = await startRedis({ aof: true });
  // A small frame keeps hundreds of jobs quick on two cores.
  small = await sharp(image('bus.jpg')).resize(240, 320).jpeg().toBuffer();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await database?.drop();
  await clearPrefix(redis.url, prefix).catch(() => undefined);
});

async function fresh(): Promise<void> {
  database = await createTestDatabase();
  prefix = testPrefix();
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ARGUS_QUEUE_URL: redis.url,
    ARGUS_DB_URL: database.url,
    ARGUS_QUEUE_PREFIX: prefix,
    ARGUS_DATA_DIR: tempDir(),
    ARGUS_LOCK_DURATION_MS: String(fast.lockDurationMs),
    ARGUS_STALLED_INTERVAL_MS: String(fast.stalledIntervalMs),
    ARGUS_RECONCILE_INTERVAL_MS: String(fast.reconcileIntervalMs),
    ARGUS_MODELS: JSON.stringify({ yolo11n: { instances: 1 }, yolov8n: { instances: 1 } }),
    ...extra,
  };
}

async function worker(models: string, extra: Record<string, string> = {}): Promise<ChildWorker> {
  const w = await spawnWorker(env(extra), ['--models', models]);
  processes.push(w);
  return w;
}

async function api(overrides: Partial<Config> = {}): Promise<TestServer> {
  const s = await startServer({ queueUrl: redis.url, dbUrl: database.url, queuePrefix: prefix, ...fast, ...overrides });
  servers.push(s);
  return s;
}

async function submit(url: string, model: string, bytes: Buffer): Promise<string> {
  const response = await postImage(`${url}/v1/jobs`, bytes, { task: 'detect', model });
  expect(response.status).toBe(202);
  return (await json(response)).id;
}

async function jobOf(url: string, id: string) {
  return json(await fetch(`${url}/v1/jobs/${id}`));
}

/** Waits until every job has finished; returns the records. */
async function allFinished(url: string, ids: string[], timeoutMs: number) {
  return eventually(async () => {
    const jobs = await Promise.all(ids.map((id) => jobOf(url, id)));
    return jobs.every((j) => j.status === 'succeeded' || j.status === 'failed') ? jobs : undefined;
  }, timeoutMs, 500);
}

describe('worker node killed with kill -9 in the middle of a job', () => {
  it('the job it held is delivered again and completes on the other worker node, once; none is lost', async () => {
    await fresh();
    const doomed = await worker('yolov8n');
    const node = await api();
    // The doomed node is the only one: it runs a first job, so its model worker is up.
    const warm = await submit(node.url, 'yolov8n', image('bus.jpg'));
    await allFinished(node.url, [warm], 120_000);
    const modelWorkers = childrenOf(doomed.child.pid!);
    expect(modelWorkers.length).toBeGreaterThan(0);
    // Freeze its model workers: the next job it claims stays in the middle however slow or fast the
    // machine is, while the node itself (and its BullMQ lock renewal) keeps running.
    for (const pid of modelWorkers) process.kill(pid, 'SIGSTOP');
    const held = await submit(node.url, 'yolov8n', image('bus.jpg'));
    const claimed = await eventually(async () => {
      const job = await jobOf(node.url, held);
      return job.status === 'running' ? job : undefined;
    }, 60_000, 50);
    expect(claimed.attempts).toBe(1);
    // Now the other node and more work; then the kill, with the known job certainly still held.
    await worker('yolov8n');
    const others = await Promise.all(Array.from({ length: 40 }, () => submit(node.url, 'yolov8n', image('bus.jpg'))));
    expect(await jobOf(node.url, held)).toMatchObject({ status: 'running', attempts: 1 });
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // Frozen, its model workers cannot notice their parent has gone; end them too.
    for (const pid of modelWorkers) process.kill(pid, 'SIGKILL');

    const ids = [held, ...others];
    const jobs = await allFinished(node.url, ids, 180_000);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    // The job the dead node held was delivered again and finished on the other node, once.
    expect(jobs[0]).toMatchObject({ id: held, attempts: 2, result: { id: held } });
    expect(jobs.every((j) => j.attempts <= 2)).toBe(true);
    for (const j of jobs) expect(j.result.id).toBe(j.id);
  }, 300_000);
});

describe('API node killed and restarted', () => {
  it('jobs it accepted still complete and can be read from another API node, and from it once back', async () => {
    await fresh();
    await worker('yolo11n');
    const survivor = await api();
    const doomed = await spawnServer(env());
    processes.push(doomed);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await submit(doomed.url, 'yolo11n', small));
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    const jobs = await allFinished(survivor.url, ids, 120_000);
    expect(jobs.every((j) => j.status === 'succeeded' && j.attempts === 1)).toBe(true);
    const back = await spawnServer(env());
    processes.push(back);
    expect(await jobOf(back.url, ids[7])).toEqual(await jobOf(survivor.url, ids[7]));
  }, 180_000);
});

describe('Redis restarted under load (append-only file on)', () => {
  it('every one of 500 jobs completes once through a SIGTERM and a SIGKILL of Redis; nodes reconnect by themselves', async () => {
    await fresh();
    await worker('yolo11n', { ARGUS_MAX_STALLED_COUNT: '5' });
    const node = await api({ maxStalledCount: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 25) {
      ids.push(...await Promise.all(Array.from({ length: 25 }, () => submit(node.url, 'yolo11n', small))));
    }
    const succeeded = async () => (await json(await fetch(`${node.url}/healthz`))).jobs.succeeded as number;

    await eventually(async () => ((await succeeded()) >= 60 ? true : undefined), 120_000, 200);
    // Jobs are certainly in flight when Redis goes: hundreds are left at ~20 ms each.
    expect(await succeeded()).toBeLessThan(400);
    await redis.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.restart();

    const before = await succeeded();
    await eventually(async () => ((await succeeded()) >= before + 100 ? true : undefined), 120_000, 200);
    expect(await succeeded()).toBeLessThan(480);
    await redis.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.restart();

    const jobs = await allFinished(node.url, ids, 240_000);
    const statuses = jobs.map((j) => j.status);
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(500);
    expect(new Set(jobs.map((j) => j.result.id)).size).toBe(500);
    // The nodes found Redis again on their own: a synchronous request goes through.
    const sync = await postImage(`${node.url}/v1/detect`, small, { model: 'yolo11n' });
    expect(sync.status).toBe(200);
  }, 420_000);
});

describe('soak: 2 API nodes, 2 worker nodes, 2000 mixed requests', () => {
  it('accounts for every request: accepted = completed + failed with a reason, no duplicates', async () => {
    await fresh();
    await worker('yolo11n');
    await worker('yolo11n');
    const apis = [await api(), await api()];
    const syncStatuses: number[] = [];
    const accepted: string[] = [];
    let next = 0;
    // 16 clients, alternating API nodes; every other request is async.
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < 2000; i = next++) {
        const url = apis[i % 2].url;
        if (i % 2 === 0) {
          const r = await postImage(`${url}/v1/detect`, small, { model: 'yolo11n' });
          syncStatuses.push(r.status);
          if (r.status === 200) expect((await json(r)).detections.length).toBeGreaterThan(0);
          else await r.arrayBuffer();
        } else {
          const r = await postImage(`${url}/v1/jobs`, small, { task: 'detect', model: 'yolo11n' });
          expect(r.status).toBe(202);
          accepted.push((await json(r)).id);
        }
      }
    }));
    expect(syncStatuses).toHaveLength(1000);
    expect(syncStatuses.every((s) => s === 200)).toBe(true);
    expect(accepted).toHaveLength(1000);
    expect(new Set(accepted).size).toBe(1000);
    const jobs = await allFinished(apis[1].url, accepted, 240_000);
    const succeeded = jobs.filter((j) => j.status === 'succeeded').length;
    const failedWithReason = jobs.filter((j) => j.status === 'failed' && j.error?.message).length;
    expect(succeeded + failedWithReason).toBe(1000);
    expect(succeeded).toBe(1000);
    const counts = (await json(await fetch(`${apis[0].url}/healthz`))).jobs;
    expect(counts).toEqual({ queued: 0, running: 0, succeeded: 1000, failed: 0 });
  }, 600_000);
});
