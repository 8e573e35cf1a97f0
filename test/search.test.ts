import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, MODEL_ROOTS, postImage, postJson, startServer, tempDir, type TestServer } from './helpers.js';
import { cosine, FIXTURES, recognitionModelsDir, type RecognitionModels } from './recognition-models.js';

const clipReference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-clip.reference.json'), 'utf8')) as { prompts: string[]; image_embeds: number[]; text_embeds: number[][] };
const tinyClipImage = readFileSync(join(FIXTURES, 'tiny-clip.png'));

interface Hit {
  id: string;
  score: number;
  metadata?: Record<string, unknown>;
  created_at: string;
}

let models: RecognitionModels;
let dataDir: string;
let server: TestServer;
/** Stored id by image name. */
const stored: Record<string, string> = {};

const start = () => startServer({ modelsDir: models.dir, modelRoots: MODEL_ROOTS, dataDir });
const search = (body: Record<string, unknown>) => postJson(`${server.url}/v1/search`, body);

beforeAll(async () => {
  models = recognitionModelsDir();
  dataDir = tempDir();
  server = await start();
  for (const name of ['bus.jpg', 'zidane.jpg', 'misc/chelsea.png', 'misc/rocket.jpg']) {
    const response = await postImage(`${server.url}/v1/embed`, image(name), { store: 'true', metadata: JSON.stringify({ file: name }) });
    const body = await json(response);
    expect(body.stored).toBe(true);
    stored[name] = body.id;
  }
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  models?.remove();
});

describe('POST /v1/search', () => {
  it('finds an image itself first by image, with its metadata and a cosine score', async () => {
    const response = await postImage(`${server.url}/v1/search`, image('misc/chelsea.png'), { k: '3' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ model: { alias: 'resnet18-embed' }, query: { type: 'image' } });
    expect(body.results).toHaveLength(3);
    expect(body.results[0]).toMatchObject({ id: stored['misc/chelsea.png'], metadata: { file: 'misc/chelsea.png' } });
    expect(body.results[0].score).toBeCloseTo(1, 4);
    expect(body.results[1].score).toBeLessThan(body.results[0].score);
    expect(body.timings.search_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(body.results[0].created_at)).toBeGreaterThan(0);
  });

  it('by stored id: the nearest others, itself left out, scored as the vectors say', async () => {
    const body = await json(await search({ id: stored['bus.jpg'], k: 10 }));
    expect(body.query).toEqual({ type: 'id', id: stored['bus.jpg'] });
    const ids = body.results.map((h: Hit) => h.id);
    expect(ids).toHaveLength(3);
    expect(ids).not.toContain(stored['bus.jpg']);
    // The scores are the cosines between the stored vectors, computed here from the embed route.
    const bus = (await json(await postImage(`${server.url}/v1/embed`, image('bus.jpg')))).embedding;
    const zidane = (await json(await postImage(`${server.url}/v1/embed`, image('zidane.jpg')))).embedding;
    const hit = body.results.find((h: Hit) => h.id === stored['zidane.jpg']);
    expect(hit.score).toBeCloseTo(cosine(bus, zidane), 4);
  });

  it('by text with a CLIP model, among images stored with it', async () => {
    const kept = await json(await postImage(`${server.url}/v1/embed`, tinyClipImage, { model: 'tiny-clip-embed', store: 'true' }));
    const body = await json(await search({ text: clipReference.prompts[1], model: 'tiny-clip-embed', k: 5 }));
    expect(body.query).toEqual({ type: 'text' });
    // Only the CLIP-space image: the ResNet vectors live in another space.
    expect(body.results.map((h: Hit) => h.id)).toEqual([kept.id]);
    expect(body.results[0].score).toBeCloseTo(cosine(clipReference.text_embeds[1], clipReference.image_embeds), 4);
  });

  it('a deleted embedding is gone from search and from DELETE', async () => {
    const kept = await json(await postImage(`${server.url}/v1/embed`, image('misc/coffee.png'), { store: 'true' }));
    expect((await json(await search({ id: stored['bus.jpg'], k: 10 }))).results.map((h: Hit) => h.id)).toContain(kept.id);
    const deleted = await fetch(`${server.url}/v1/embeddings/${kept.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ id: kept.id, deleted: true });
    expect((await json(await search({ id: stored['bus.jpg'], k: 10 }))).results.map((h: Hit) => h.id)).not.toContain(kept.id);
    const again = await fetch(`${server.url}/v1/embeddings/${kept.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await json(again)).error.code).toBe('embedding_not_found');
  });

  it('keeps the index across a restart', async () => {
    await server.close();
    server = await start();
    const body = await json(await search({ id: stored['misc/rocket.jpg'], k: 1 }));
    expect(body.results).toHaveLength(1);
    const again = await json(await postImage(`${server.url}/v1/search`, image('misc/rocket.jpg'), { k: '1' }));
    expect(again.results[0]).toMatchObject({ id: stored['misc/rocket.jpg'], metadata: { file: 'misc/rocket.jpg' } });
  });
});

describe('search and storing as async jobs', () => {
  const finished = (id: string) => eventually(async () => {
    const body = await json(await fetch(`${server.url}/v1/jobs/${id}`));
    return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
  });

  it('an embed job with store keeps the vector under the job id; a search job finds it', async () => {
    const submitted = await json(await postJson(`${server.url}/v1/jobs`, { task: 'embed', image: image('misc/astronaut.png').toString('base64'), params: { store: true, metadata: { via: 'job' } } }));
    const job = await finished(submitted.id);
    expect(job.status).toBe('succeeded');
    expect(job.result.stored).toBe(true);
    const query = await json(await postJson(`${server.url}/v1/jobs`, { task: 'search', image: image('misc/astronaut.png').toString('base64'), params: { k: 1 } }));
    const found = await finished(query.id);
    expect(found.status).toBe('succeeded');
    expect(found.result.results[0]).toMatchObject({ id: submitted.id, metadata: { via: 'job' } });
    const byId = await finished((await json(await postJson(`${server.url}/v1/jobs`, { task: 'search', params: { id: submitted.id, k: 2 } }))).id);
    expect(byId.result.results).toHaveLength(2);
  });
});

describe('bad search requests get a clear 4xx and the server keeps serving', () => {
  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect((await json(response)).error.code).toBe(code);
  };

  it('k of 0 or above the limit, no query, and an id with an image', async () => {
    await expectError(await search({ id: stored['bus.jpg'], k: 0 }), 400, 'invalid_params');
    await expectError(await search({ id: stored['bus.jpg'], k: 101 }), 400, 'invalid_params');
    await expectError(await search({ k: 3 }), 400, 'missing_image');
    await expectError(await postImage(`${server.url}/v1/search`, image('bus.jpg'), { id: stored['bus.jpg'] }), 400, 'bad_request');
  });

  it('an unknown stored id (404), text to an image-only model, and a wrong field', async () => {
    await expectError(await search({ id: 'no-such-embedding' }), 404, 'embedding_not_found');
    await expectError(await search({ text: 'a bus' }), 400, 'text_not_supported');
    await expectError(await search({ id: stored['bus.jpg'], limit: 3 }), 400, 'invalid_params');
    await expectError(await search({ id: stored['bus.jpg'], model: 'tiny-clip-embed' }), 400, 'bad_request');
    // Async searches are refused at submit, not accepted to fail later.
    for (const k of [0, 101]) {
      const refused = await postJson(`${server.url}/v1/jobs`, { task: 'search', params: { k, id: stored['bus.jpg'] } });
      expect(refused.status).toBe(400);
      expect((await json(refused)).error.code).toBe('invalid_params');
    }
    expect((await search({ id: stored['bus.jpg'], k: 1 })).status).toBe(200);
  });
});
