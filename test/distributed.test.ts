import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, spawnWorker, startServer, tempDir, type ChildWorker, type TestServer } from './helpers.js';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix, type RedisServer, type TestDatabase } from './services.js';

/**
 * Distributed mode with real Redis and PostgreSQL: an API node (in this process) and a worker
 * node (`argus worker`, its own process) that serves yolo11n, yolov8n and resnet18-embed.
 */
let redis: RedisServer;
let database: TestDatabase;
let api: TestServer;
let worker: ChildWorker;
const prefix = testPrefix();

function workerEnv(): Record<string, string> {
  return {
    ARGUS_QUEUE_URL: redis.url,
    ARGUS_DB_URL: database.url,
    ARGUS_QUEUE_PREFIX: prefix,
    ARGUS_DATA_DIR: tempDir(),
    ARGUS_MODELS: JSON.stringify({ yolo11n: { instances: 1 }, yolov8n: { instances: 1 }, 'resnet18-embed': { instances: 1 } }),
  };
}

beforeAll(async () => {
  redis = await redisForTests();
  database = await createTestDatabase();
  worker = await spawnWorker(workerEnv(), ['--models', 'yolo11n,yolov8n,resnet18-embed']);
  api = await startServer({
    queueUrl: redis.url,
    dbUrl: database.url,
    queuePrefix: prefix,
    noWorkerWaitMs: 300,
    maxQueueDepth: 4,
  });
}, 180_000);

afterAll(async () => {
  await api?.close();
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await database?.drop();
  await clearPrefix(redis.url, prefix);
  await redis?.stop();
});

describe('an API node and a worker node', () => {
  it('answers synchronous requests through the queue, with the same result as embedded mode', async () => {
    const response = await postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'yolov8n' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.model).toMatchObject({ alias: 'yolov8n', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(body.detections.filter((d: { label: string }) => d.label === 'person')).toHaveLength(4);
    // The queue hop is accounted for as queueing, not hidden.
    expect(body.timings.queue_ms).toBeGreaterThan(0);
    expect(body.timings.total_ms).toBeGreaterThanOrEqual(body.timings.inference_ms + body.timings.queue_ms);
  });

  it('runs async jobs (the original /predict API and /v1/jobs) with their records in PostgreSQL', async () => {
    const { inference_id: id } = await json(await postImage(`${api.url}/predict`, image('zidane.jpg')));
    const done = await eventually(async () => {
      const r = await fetch(`${api.url}/results/${id}`);
      return r.status === 200 ? json(r) : undefined;
    });
    expect(done.detections.filter((d: { label: string }) => d.label === 'person').length).toBeGreaterThanOrEqual(2);
    const job = await json(await fetch(`${api.url}/v1/jobs/${id}`));
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, model: 'yolov8n' });
  });

  it('shares the vector index in PostgreSQL: an embedding stored by a job on the worker is found from the API node', async () => {
    const submitted = await json(await postJson(`${api.url}/v1/jobs`, {
      task: 'embed', model: 'resnet18-embed', image: image('bus.jpg').toString('base64'), params: { store: true, metadata: { file: 'bus.jpg' } },
    }));
    const job = await eventually(async () => {
      const record = await json(await fetch(`${api.url}/v1/jobs/${submitted.id}`));
      return record.status === 'succeeded' ? record : undefined;
    });
    expect(job.result.stored).toBe(true);
    const kept = await json(await postImage(`${api.url}/v1/embed`, image('zidane.jpg'), { model: 'resnet18-embed', store: 'true' }));
    expect(kept.stored).toBe(true);
    const response = await postJson(`${api.url}/v1/search`, { id: kept.id, k: 5 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.results).toEqual([expect.objectContaining({ id: submitted.id, metadata: { file: 'bus.jpg' } })]);
  });

  it('sends images by reference: no job in Redis carries the image bytes', async () => {
    const submitted = await json(await postJson(`${api.url}/v1/jobs`, { task: 'detect', model: 'yolo11n', image: image('bus.jpg').toString('base64') }));
    const queue = new Queue('m.yolo11n', { connection: { url: redis.url }, prefix });
    try {
      const job = await queue.getJob(submitted.id);
      if (job) expect(JSON.stringify(job.data).length).toBeLessThan(200);
    } finally {
      await queue.close();
    }
    await eventually(async () => ((await json(await fetch(`${api.url}/v1/jobs/${submitted.id}`))).status === 'succeeded' ? true : undefined));
  });

  it('fails fast, with what to do, for a model no worker serves', async () => {
    const started = Date.now();
    const response = await postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'centernet' });
    expect(response.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    const { error } = await json(response);
    expect(error.code).toBe('no_worker');
    expect(error.message).toContain('argus worker --models centernet');
  });

  it('answers 429 with Retry-After when a model queue is deeper than its limit', async () => {
    const burst = await Promise.all(Array.from({ length: 24 }, () => postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'yolov8n' })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await json(refused)).error.code).toBe('queue_full');
  });

  it('lets interactive requests overtake queued batch jobs', async () => {
    const jobs = await Promise.all(Array.from({ length: 12 }, async () => (await json(await postImage(`${api.url}/v1/jobs`, image('bus.jpg'), { task: 'detect', model: 'yolov8n' }))).id as string));
    const sync = await postImage(`${api.url}/v1/detect`, image('zidane.jpg'), { model: 'yolov8n' });
    expect(sync.status).toBe(200);
    const states = await Promise.all(jobs.map(async (id) => (await json(await fetch(`${api.url}/v1/jobs/${id}`))).status));
    // The sync request was answered while most of the batch still waited behind it.
    expect(states.filter((s) => s === 'queued').length).toBeGreaterThanOrEqual(6);
    for (const id of jobs) await eventually(async () => ((await json(await fetch(`${api.url}/v1/jobs/${id}`))).status === 'succeeded' ? true : undefined), 60_000);
  });

  it('shows the worker node in the status, and evicts a model on it', async () => {
    await postImage(`${api.url}/v1/detect`, image('bus.jpg'), { model: 'yolo11n' });
    const status = await json(await fetch(`${api.url}/v1/system/status`));
    const remote = status.workers.find((w: { model: string }) => w.model === 'yolo11n');
    expect(remote).toMatchObject({ node: worker.id, provider: 'cpu' });
    const evicted = await json(await fetch(`${api.url}/v1/system/evict/yolo11n`, { method: 'POST' }));
    expect(evicted).toMatchObject({ alias: 'yolo11n', stopped: 1 });
    expect(evicted.freed_mb).toBeGreaterThan(10);
  });

  it('serves the queue dashboard', async () => {
    const board = await fetch(`${api.url}/admin/queues`);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<div id="root">');
  });

  it('removes finished jobs after the retention period, from PostgreSQL and Redis', async () => {
    // A second API node on the same deployment, keeping finished jobs for two seconds.
    const tidy = await startServer({ queueUrl: redis.url, dbUrl: database.url, queuePrefix: prefix, jobRetentionHours: 2 / 3600, reconcileIntervalMs: 500 });
    try {
      const { id } = await json(await postImage(`${tidy.url}/v1/jobs`, image('bus.jpg'), { task: 'detect', model: 'yolo11n' }));
      await eventually(async () => ((await json(await fetch(`${tidy.url}/v1/jobs/${id}`))).status === 'succeeded' ? true : undefined));
      await eventually(async () => ((await fetch(`${tidy.url}/v1/jobs/${id}`)).status === 404 ? true : undefined), 20_000, 250);
      const queue = new Queue('m.yolo11n', { connection: { url: redis.url }, prefix });
      try {
        await eventually(async () => ((await queue.getJob(id)) === undefined ? true : undefined), 20_000, 250);
      } finally {
        await queue.close();
      }
    } finally {
      await tidy.close();
    }
  });
});
