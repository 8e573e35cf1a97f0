import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenOf, type ChildWorker, eventually, image, json, postImage, spawnWorker, startServer, tempDir, type TestServer } from './helpers.js';
import { signalAll } from './node-faults.js';
import { sample } from './prometheus.js';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix, type RedisServer, type TestDatabase } from './services.js';

/**
 * What an autoscaler reads from an API node's /metrics: per model, the interactive requests and
 * batch jobs waiting and the age of the oldest, and per worker node its busy and idle worker
 * processes and its slots. A known backlog is built by freezing the only node's model process
 * while it holds one job, so every figure is exact.
 */
let redis: RedisServer;
let database: TestDatabase;
let api: TestServer;
let node: ChildWorker;
let pids: number[] = [];
const prefix = testPrefix();

beforeAll(async () => {
  redis = await redisForTests();
  database = await createTestDatabase();
  node = await spawnWorker({
    ARGUS_QUEUE_URL: redis.url, ARGUS_DB_URL: database.url, ARGUS_QUEUE_PREFIX: prefix, ARGUS_DATA_DIR: tempDir(),
    ARGUS_MODELS: JSON.stringify({ yolo11n: { instances: 1 } }),
  }, ['--models', 'yolo11n']);
  api = await startServer({ queueUrl: redis.url, dbUrl: database.url, queuePrefix: prefix });
}, 180_000);

afterAll(async () => {
  signalAll(pids, 'SIGCONT');
  await api?.close();
  node?.child.kill('SIGTERM');
  await node?.exited;
  await database?.drop();
  await clearPrefix(redis.url, prefix);
  await redis?.stop();
});

describe('metrics for autoscaling', () => {
  it('counts what waits per model and priority, the oldest item\'s age, and each node\'s busy and idle processes', async () => {
    const small = await sharp(image('bus.jpg')).resize(240, 320).jpeg().toBuffer();
    expect((await postImage(`${api.url}/v1/detect`, small, { model: 'yolo11n' })).status).toBe(200);
    const idle = await eventually(async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      return sample(text, 'argus_node_worker_processes', { node: node.id, model: 'yolo11n', state: 'idle' }) === 1 ? text : undefined;
    }, 10_000, 250);
    expect(sample(idle, 'argus_node_slots', { node: node.id, model: 'yolo11n' })).toBe(1);
    expect(sample(idle, 'argus_nodes', { model: 'yolo11n' })).toBe(1);
    expect(sample(idle, 'argus_queue_waiting', { model: 'yolo11n', priority: 'batch' })).toBe(0);
    expect(sample(idle, 'argus_queue_oldest_waiting_seconds', { model: 'yolo11n', priority: 'batch' })).toBe(0);

    // The node takes one job and holds it (its model process frozen); the rest wait.
    pids = childrenOf(node.child.pid!);
    signalAll(pids, 'SIGSTOP');
    const jobs: string[] = [];
    for (let i = 0; i < 5; i++) jobs.push((await json(await postImage(`${api.url}/v1/jobs`, small, { task: 'detect', model: 'yolo11n' }))).id);
    await eventually(async () => ((await json(await fetch(`${api.url}/v1/jobs/${jobs[0]}`))).status === 'running' ? true : undefined), 30_000, 100);
    const syncs = [postImage(`${api.url}/v1/detect`, small, { model: 'yolo11n' }), postImage(`${api.url}/v1/detect`, small, { model: 'yolo11n' })];
    await new Promise((r) => setTimeout(r, 1_500));
    const busy = await eventually(async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      return sample(text, 'argus_node_worker_processes', { node: node.id, model: 'yolo11n', state: 'busy' }) === 1 ? text : undefined;
    }, 10_000, 250);
    expect(sample(busy, 'argus_queue_waiting', { model: 'yolo11n', priority: 'interactive' })).toBe(2);
    expect(sample(busy, 'argus_queue_waiting', { model: 'yolo11n', priority: 'batch' })).toBe(4);
    expect(sample(busy, 'argus_queue_active', { model: 'yolo11n' })).toBe(1);
    expect(sample(busy, 'argus_queue_oldest_waiting_seconds', { model: 'yolo11n', priority: 'batch' })).toBeGreaterThan(1.4);
    expect(sample(busy, 'argus_queue_oldest_waiting_seconds', { model: 'yolo11n', priority: 'interactive' })).toBeGreaterThan(1.4);
    expect(sample(busy, 'argus_node_worker_processes', { node: node.id, model: 'yolo11n', state: 'idle' })).toBeUndefined();

    signalAll(pids, 'SIGCONT');
    for (const r of await Promise.all(syncs)) expect(r.status).toBe(200);
    await eventually(async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      return sample(text, 'argus_queue_waiting', { model: 'yolo11n', priority: 'batch' }) === 0 ? true : undefined;
    }, 60_000, 500);
  }, 120_000);
});
