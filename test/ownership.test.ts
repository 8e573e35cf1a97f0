/**
 * Results belong to the key that made them: the history (entries, their images, the live feed)
 * and stored embeddings, as jobs and files already do (security.test.ts). Another inference key
 * gets the same 404 as for an id that does not exist; admin keys see everything.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyFile } from '../src/store/keys.js';
import { eventually, image, json, startServer, tempDir, type TestServer } from './helpers.js';
import { readEvents, type ServerEvent } from './scene-helpers.js';

const A = 'owner-test-key-alpha-0123456789';
const B = 'owner-test-key-bravo-0123456789';

function call(url: string, key: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(url, { ...init, headers });
}

const postJsonAs = (url: string, key: string, body: unknown) =>
  call(url, key, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let server: TestServer;
let admin: string;

beforeAll(async () => {
  const dataDir = tempDir();
  admin = new KeyFile(join(dataDir, 'api-keys.json')).create('admin', 'ops').secret;
  server = await startServer({ dataDir, apiKeys: [`inference:${A}`, `inference:${B}`] });
});
afterAll(async () => {
  await server?.close();
});

const historyIds = async (key: string) => (await json(await call(`${server.url}/v1/history`, key))).items.map((i: { id: string }) => i.id);

describe('the result history', () => {
  it("is scoped to the key that made each result: another key can neither list, read, download nor delete it; admins see all", async () => {
    const detected = await postJsonAs(`${server.url}/v1/detect`, A, { image: image('bus.jpg').toString('base64') });
    expect(detected.status).toBe(200);
    const { id } = await json(detected);
    await eventually(async () => ((await historyIds(A)).includes(id) ? true : undefined));

    expect(await historyIds(B)).not.toContain(id);
    const listedForB = await json(await call(`${server.url}/v1/history`, B));
    // Filter menus list only what the key's own entries hold.
    expect(listedForB.facets.labels).not.toContain('bus');
    for (const path of [`/v1/history/${id}`, `/v1/history/${id}/preview.jpg`, `/v1/history/${id}/thumbnail.jpg`]) {
      const response = await call(`${server.url}${path}`, B);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect((await json(response)).error.code).toBe('history_not_found');
    }
    expect((await call(`${server.url}/v1/history/${id}`, B, { method: 'DELETE' })).status).toBe(404);

    // Still there for its owner and for admins: B's DELETE did nothing.
    expect((await call(`${server.url}/v1/history/${id}`, A)).status).toBe(200);
    expect((await call(`${server.url}/v1/history/${id}/preview.jpg`, A)).status).toBe(200);
    expect(await historyIds(admin)).toContain(id);
    expect((await call(`${server.url}/v1/history/${id}`, admin)).status).toBe(200);
  });

  it("sends each key the live events of its own results and jobs only", async () => {
    const feed = await call(`${server.url}/v1/events?topics=history,jobs`, B);
    expect(feed.status).toBe(200);
    const mine: { id?: string } = {};
    const seen = readEvents(feed, (e) => e.event === 'history' && e.data.id === mine.id, 60_000);
    // A's sync result and async job first, then B's own result, which ends the reading.
    const theirs = await json(await postJsonAs(`${server.url}/v1/detect`, A, { image: image('zidane.jpg').toString('base64') }));
    const form = new FormData();
    form.append('image', new Blob([image('bus.jpg')]), 'bus.jpg');
    form.append('task', 'detect');
    const job = await json(await call(`${server.url}/v1/jobs`, A, { method: 'POST', body: form }));
    await eventually(async () => ((await json(await call(`${server.url}/v1/jobs/${job.id}`, A))).status === 'succeeded' ? true : undefined));
    await eventually(async () => ((await historyIds(A)).includes(job.id) ? true : undefined));
    mine.id = (await json(await postJsonAs(`${server.url}/v1/detect`, B, { image: image('bus.jpg').toString('base64') }))).id;
    const events: ServerEvent[] = await seen;
    const ids = events.map((e) => e.data?.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect(ids).not.toContain(job.id);
  });
});

describe('stored embeddings', () => {
  it("belong to the key that stored them: another key does not find, search by or delete them; admins do", async () => {
    const stored = await json(await postJsonAs(`${server.url}/v1/embed`, A, { image: image('bus.jpg').toString('base64'), store: true, metadata: { owner: 'A' } }));
    expect(stored.stored).toBe(true);
    const query = { image: image('bus.jpg').toString('base64'), k: 10 };
    const found = async (key: string) => (await json(await postJsonAs(`${server.url}/v1/search`, key, query))).results.map((r: { id: string }) => r.id);
    expect(await found(A)).toContain(stored.id);
    expect(await found(B)).not.toContain(stored.id);
    expect(await found(admin)).toContain(stored.id);

    const byId = await postJsonAs(`${server.url}/v1/search`, B, { id: stored.id });
    expect(byId.status).toBe(404);
    expect((await json(byId)).error.code).toBe('embedding_not_found');
    expect((await call(`${server.url}/v1/embeddings/${stored.id}`, B, { method: 'DELETE' })).status).toBe(404);
    expect(await found(A)).toContain(stored.id);
    expect((await postJsonAs(`${server.url}/v1/search`, A, { id: stored.id })).status).toBe(200);
    expect((await call(`${server.url}/v1/embeddings/${stored.id}`, A, { method: 'DELETE' })).status).toBe(200);
  });
});
