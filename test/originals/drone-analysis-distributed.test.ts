/**
 * The drone service's API in distributed mode, with real Redis and PostgreSQL: an API node (in
 * this process) and a worker node (`argus worker`) that runs the analyze jobs. The sync call waits
 * for a job that finishes on another node (the service polls: BullMQ reports no state changes to
 * the API node), and a result is read back from PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postJson, spawnWorker, startServer, tempDir, type ChildWorker, type TestServer } from '../helpers.js';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix, type RedisServer, type TestDatabase } from '../services.js';

let redis: RedisServer;
let database: TestDatabase;
let api: TestServer;
let worker: ChildWorker;
const prefix = testPrefix();

beforeAll(async () => {
  redis = await redisForTests();
  database = await createTestDatabase();
  worker = await spawnWorker({
    ARGUS_QUEUE_URL: redis.url,
    ARGUS_DB_URL: database.url,
    ARGUS_QUEUE_PREFIX: prefix,
    ARGUS_DATA_DIR: tempDir(),
    ARGUS_MODELS: JSON.stringify({ yolov8n: { instances: 1 } }),
  }, ['--models', 'yolov8n']);
  api = await startServer({ queueUrl: redis.url, dbUrl: database.url, queuePrefix: prefix });
}, 180_000);

afterAll(async () => {
  await api?.close();
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await database?.drop();
  await clearPrefix(redis.url, prefix);
  await redis?.stop();
});

const body = (imageId: string) => ({ request_id: `locust-${randomUUID()}`, image_id: imageId, image_base64: image('bus.jpg').toString('base64') });

describe('an API node and a worker node', () => {
  it('answers the sync call with the analysis the worker node ran, readable by id', async () => {
    const sent = body('base/base_001.jpg');
    const answer = await json(await postJson(`${api.url}/v1/analyze`, sent));
    expect(answer).toMatchObject({ ok: true, error_code: null, result: { image_id: 'base/base_001.jpg', risk_level: 'normal' } });
    expect(answer.result.objects.filter((o: { label: string }) => o.label === 'person').length).toBeGreaterThanOrEqual(3);
    const stored = await json(await fetch(`${api.url}/v1/result/${answer.result.result_id}`));
    expect(stored).toMatchObject({ ok: true, data: { analysis_id: answer.result.result_id, request_id: sent.request_id, objects: answer.result.objects } });
  });

  it('queues async calls and answers their results', async () => {
    const queued = await json(await postJson(`${api.url}/v1/analyze_async`, body('drone/emergency_001.jpg')));
    expect(queued).toMatchObject({ ok: true, queue: 'analyze.emergency' });
    const done = await eventually(async () => {
      const polled = await json(await fetch(`${api.url}/v1/result_async/${queued.task_id}`));
      return polled.result === null ? undefined : polled;
    }, 60_000);
    expect(done.result).toMatchObject({ result_id: queued.task_id, image_id: 'drone/emergency_001.jpg' });
  });
});
