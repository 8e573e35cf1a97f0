import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, spawnServer, spawnWorker, tempDir, type ChildServer, type ChildWorker } from './helpers.js';
import { sample } from './prometheus.js';
import { clearPrefix, createTestDatabase, startRedis, testPrefix, type RedisServer, type TestDatabase } from './services.js';

/**
 * A Redis outage as the nodes report it: each node logs one structured warning when its
 * connection drops and one when it is back (ioredis's unhandled error events used to print a
 * stack trace to stderr on every retry), and shows the state in /healthz and /metrics. Both
 * nodes are separate processes, so their whole output is read.
 */
let redis: RedisServer;
let database: TestDatabase;
let api: ChildServer;
let worker: ChildWorker;
const prefix = testPrefix();

beforeAll(async () => {
  redis = await startRedis();
  database = await createTestDatabase();
  const env = { ARGUS_QUEUE_URL: redis.url, ARGUS_DB_URL: database.url, ARGUS_QUEUE_PREFIX: prefix, ARGUS_MODELS: JSON.stringify({ yolo11n: { instances: 1 } }) };
  worker = await spawnWorker({ ...env, ARGUS_DATA_DIR: tempDir() }, ['--models', 'yolo11n']);
  api = await spawnServer({ ...env, ARGUS_DATA_DIR: tempDir() });
}, 180_000);

afterAll(async () => {
  for (const p of [api, worker]) {
    p?.child.kill('SIGTERM');
    await p?.exited;
  }
  await database?.drop();
  await clearPrefix(redis.url, prefix).catch(() => undefined);
  await redis?.stop();
});

/** The node's JSON log lines with `event` set to `name`. */
function events(output: string, name: string): Array<Record<string, unknown>> {
  return output.split('\n').filter((l) => l.startsWith('{') && l.includes(`"event":"${name}"`)).map((l) => JSON.parse(l));
}

describe('Redis down for three seconds', () => {
  it('each node logs the drop once and the return once, with no stack traces; /healthz and /metrics show the state', async () => {
    expect((await postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'yolo11n' })).status).toBe(200);
    const before = { api: api.output().length, worker: worker.output().length };
    await redis.stop('SIGKILL');
    await eventually(async () => ((await json(await fetch(`${api.url}/healthz`))).queue.state === 'disconnected' ? true : undefined), 5_000, 100);
    const down = await json(await fetch(`${api.url}/healthz`));
    expect(down).toMatchObject({ status: 'degraded', queue: { state: 'disconnected', target: redis.url, sentinel: false } });
    expect(down.problems.join(' ')).toContain('Redis');
    const metricsDown = await (await fetch(`${api.url}/metrics`)).text();
    expect(sample(metricsDown, 'argus_queue_connected')).toBe(0);
    // What reconnection attempts there are (every ≤ 1 s) must stay quiet.
    await new Promise((r) => setTimeout(r, 3_000));
    await redis.restart();
    await eventually(async () => ((await json(await fetch(`${api.url}/healthz`))).queue.state === 'connected' ? true : undefined), 10_000, 100);
    await eventually(async () => (events(worker.output(), 'queue_connection_restored').length ? true : undefined), 10_000, 100);

    for (const [name, node] of [['api', api], ['worker', worker]] as const) {
      const during = node.output().slice(before[name]);
      expect(during, `${name} output`).not.toContain('Unhandled error event');
      expect(during, `${name} output`).not.toMatch(/^\s+at /m);
      const lost = events(during, 'queue_connection_lost');
      const restored = events(during, 'queue_connection_restored');
      expect(lost, `${name}: one warning for the drop`).toHaveLength(1);
      expect(restored, `${name}: one for the return`).toHaveLength(1);
      expect(lost[0]).toMatchObject({ level: 40, target: redis.url });
      expect(restored[0].down_ms).toBeGreaterThan(2_500);
    }
    const up = await json(await fetch(`${api.url}/healthz`));
    expect(up).toMatchObject({ status: 'ok', queue: { state: 'connected', drops: 1 } });
    const metricsUp = await (await fetch(`${api.url}/metrics`)).text();
    expect(sample(metricsUp, 'argus_queue_connected')).toBe(1);
    expect(sample(metricsUp, 'argus_queue_connection_drops_total')).toBe(1);
    // Both nodes found Redis again by themselves (it came back empty: the worker re-announces itself).
    await eventually(async () => ((await postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'yolo11n' })).status === 200 ? true : undefined), 20_000, 500);
  }, 120_000);
});
