/**
 * Limits and admin routes of a distributed deployment with keys on, with real Redis and
 * PostgreSQL: two API nodes share one rate limit per key (counted in Redis), and the BullMQ board
 * answers 401/403 like every other route. No worker node: nothing here runs a model.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyFile } from '../src/store/keys.js';
import { json, startServer, tempDir, type TestServer } from './helpers.js';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix, type RedisServer, type TestDatabase } from './services.js';

const KEY = 'dist-test-key-0123456789abcdef';
const OTHER = 'dist-test-key-other-0123456789';
const PER_MINUTE = 5;

let redis: RedisServer;
let database: TestDatabase;
let nodes: TestServer[] = [];
let admin: string;
const prefix = testPrefix();

beforeAll(async () => {
  redis = await redisForTests();
  database = await createTestDatabase();
  const keysDir = tempDir();
  const keysFile = join(keysDir, 'api-keys.json');
  admin = new KeyFile(keysFile).create('admin', 'ops').secret;
  const node = () => startServer({
    queueUrl: redis.url, dbUrl: database.url, queuePrefix: prefix, apiKeys: [`inference:${KEY}`, `inference:${OTHER}`], apiKeysFile: keysFile, rateLimitPerMinute: PER_MINUTE,
  });
  nodes = [await node(), await node()];
}, 180_000);

afterAll(async () => {
  for (const node of nodes) await node.close();
  await database?.drop();
  await clearPrefix(redis.url, prefix);
  await redis?.stop();
});

const as = (key: string | undefined) => (key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe('two API nodes', () => {
  it('share one rate limit per key: the limit holds across nodes, not per node', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * PER_MINUTE; i++) statuses.push((await fetch(`${nodes[i % 2].url}/v1/models`, as(KEY))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(PER_MINUTE);
    expect(statuses.slice(PER_MINUTE).every((s) => s === 429)).toBe(true);
    const limited = await fetch(`${nodes[0].url}/v1/models`, as(KEY));
    expect((await json(limited)).error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answer the queue board (/admin/queues) with 401 without a key and 403 with an inference key, in the native error shape', async () => {
    const anonymous = await fetch(`${nodes[1].url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect((await json(anonymous)).error.code).toBe('unauthorized');
    // Another inference key (the first one spent its rate limit above).
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const inference = await fetch(`${nodes[1].url}${path}`, as(OTHER));
      expect({ path, status: inference.status }).toEqual({ path, status: 403 });
      expect((await json(inference)).error.code).toBe('forbidden');
    }
    const board = await fetch(`${nodes[1].url}/admin/queues`, as(admin));
    expect(board.status).toBe(200);
  });
});
