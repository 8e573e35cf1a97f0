/**
 * Dynamic batching, end to end: concurrent requests for a model with a dynamic batch axis
 * (resnet18-embed) run as batches in one worker, and each request still gets its own image's
 * vector (checked against the PyTorch reference). A model without one (squeezenet, batch axis 1)
 * never batches. A bad image inside a batch fails alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRunEvent } from '../src/workers/manager.js';
import { IMAGES_DIR, json, postImage, startServer, type TestServer } from './helpers.js';
import { cosine, FIXTURES } from './recognition-models.js';

const reference = JSON.parse(readFileSync(join(FIXTURES, 'resnet18-reference.json'), 'utf8')) as { images: Array<{ file: string; embedding: number[] }> };

let server: TestServer;
const runs: ModelRunEvent[] = [];

beforeAll(async () => {
  server = await startServer({
    // Not an overload test: the shared machine's load must not turn requests into 503s here.
    maxEventLoopDelayMs: 0,
    // One worker, and a generous wait: batches must form however slow this shared machine is.
    models: { 'resnet18-embed': { instances: 1, maxBatch: 4, maxWaitMs: 200 }, squeezenet: { instances: 1, maxBatch: 4, maxWaitMs: 200 } },
  });
  server.argus.workers!.onModelRun((event) => runs.push(event));
});

afterAll(async () => {
  await server?.close();
});

const embed = (bytes: Uint8Array) => postImage(`${server.url}/v1/embed`, bytes, { model: 'resnet18-embed' });

describe('dynamic batching', () => {
  it('runs concurrent embeddings as batches, and each request gets its own image\'s vector', async () => {
    // Warm up (load) first, so the concurrent requests below all queue behind one loaded worker.
    const first = await embed(readFileSync(join(IMAGES_DIR, 'bus.jpg')));
    expect(first.status, await first.clone().text()).toBe(200);
    runs.length = 0;
    const images = [...reference.images, ...reference.images];
    const responses = await Promise.all(images.map(({ file }) => embed(readFileSync(join(IMAGES_DIR, file)))));
    const bodies = await Promise.all(responses.map((r) => json(r)));
    for (const [i, { file, embedding }] of images.entries()) {
      expect(responses[i].status, file).toBe(200);
      expect(bodies[i].embedding).toHaveLength(512);
      expect(cosine(bodies[i].embedding, embedding), file).toBeGreaterThanOrEqual(0.99999);
    }
    const mine = runs.filter((r) => r.alias === 'resnet18-embed');
    expect(mine.reduce((sum, r) => sum + r.size, 0)).toBe(images.length);
    expect(Math.max(...mine.map((r) => r.size))).toBeGreaterThan(1);
    expect(Math.max(...mine.map((r) => r.size))).toBeLessThanOrEqual(4);
    expect(mine.length).toBeLessThan(images.length);
  });

  it('fails a broken image alone: the rest of its batch is answered', async () => {
    const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
    // The header is intact (it passes the probe before queueing); the scan data is cut off.
    const truncated = bus.subarray(0, Math.floor(bus.length / 3));
    runs.length = 0;
    const responses = await Promise.all([bus, truncated, bus, bus].map((bytes) => embed(bytes)));
    expect(responses[1].status).toBeGreaterThanOrEqual(400);
    expect(responses[1].status).toBeLessThan(500);
    expect((await json(responses[1])).error.code).toBeTypeOf('string');
    const busVector = reference.images.find((r) => r.file === 'bus.jpg')!.embedding;
    for (const i of [0, 2, 3]) {
      expect(responses[i].status).toBe(200);
      expect(cosine((await json(responses[i])).embedding, busVector)).toBeGreaterThanOrEqual(0.99999);
    }
    expect(Math.max(...runs.filter((r) => r.alias === 'resnet18-embed').map((r) => r.size))).toBeGreaterThan(1);
    // The worker keeps serving.
    expect((await embed(bus)).status).toBe(200);
  });

  it('never batches a model whose batch axis is fixed at 1', async () => {
    const chelsea = readFileSync(join(IMAGES_DIR, 'misc/chelsea.png'));
    const classify = () => postImage(`${server.url}/v1/classify`, chelsea, { model: 'squeezenet' });
    expect((await classify()).status).toBe(200);
    runs.length = 0;
    const responses = await Promise.all(Array.from({ length: 6 }, classify));
    for (const response of responses) expect(response.status).toBe(200);
    const mine = runs.filter((r) => r.alias === 'squeezenet');
    expect(mine).toHaveLength(6);
    expect(mine.every((r) => r.size === 1)).toBe(true);
  });
});
