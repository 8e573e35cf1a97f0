/**
 * The original embedding service (shared/originals/002, FastAPI + ResNet18), replayed as its
 * clients call it: `POST /embed {"url"}` → `{"embedding": [512 floats]}`, L2-normalised as its
 * code did (`embedding / np.linalg.norm(embedding)`), `GET /health`, `/docs`; plus what FastAPI
 * does where the document is silent (422 `{"detail": [...]}` for a body it cannot validate).
 * The image is served from loopback, which the test server allowlists.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postJson, startServer, type TestServer } from '../helpers.js';

const bus = image('bus.jpg');
const zidane = image('zidane.jpg');
let images: Server;
let origin: string;
let server: TestServer;

beforeAll(async () => {
  images = createServer((req, res) => {
    const body = req.url === '/bus.jpg' ? bus : req.url === '/zidane.jpg' ? zidane : undefined;
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => images.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  server = await startServer({ urlAllowlist: ['127.0.0.1/32'] });
});

afterAll(async () => {
  await server?.close();
  await new Promise((done) => images?.close(done));
});

const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('the document, replayed', () => {
  it('POST /embed {"url"} → {"embedding": [512 floats]} of unit length, compared by dot product', async () => {
    const response = await postJson(`${server.url}/embed`, { url: `${origin}/bus.jpg` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { embedding } = await json(response);
    expect(embedding).toHaveLength(512);
    expect(embedding.every((x: unknown) => typeof x === 'number')).toBe(true);
    expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);

    // The original's clients rank by dot product: the same image scores 1, another image less.
    const again = (await json(await postJson(`${server.url}/embed`, { url: `${origin}/bus.jpg` }))).embedding;
    const other = (await json(await postJson(`${server.url}/embed`, { url: `${origin}/zidane.jpg` }))).embedding;
    expect(dot(embedding, again)).toBeCloseTo(1, 5);
    expect(dot(embedding, other)).toBeLessThan(0.999);
  });

  it('GET /health → {"status": "healthy"}', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect((await json(response)).status).toBe('healthy');
  });

  it('serves the Swagger documentation at /docs, as FastAPI does', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
    const spec = await json(await fetch(`${server.url}/openapi.json`));
    expect(spec.paths['/embed'].post).toBeDefined();
  });
});

describe('what FastAPI does where the document is silent', () => {
  it('answers a body it cannot validate with 422 {"detail": [...]}', async () => {
    const missing = await postJson(`${server.url}/embed`, {});
    expect(missing.status).toBe(422);
    expect((await json(missing)).detail).toEqual([{ type: 'missing', loc: ['body', 'url'], msg: 'Field required', input: {} }]);

    const wrongType = await postJson(`${server.url}/embed`, { url: 42 });
    expect(wrongType.status).toBe(422);
    const [item] = (await json(wrongType)).detail;
    expect(item).toMatchObject({ type: 'string_type', loc: ['body', 'url'], msg: 'Input should be a valid string', input: 42 });

    const notJson = await fetch(`${server.url}/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url": ' });
    expect(notJson.status).toBe(422);
    expect((await json(notJson)).detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' });
  });

  it('answers a URL it cannot use with {"detail": "<why>"}, and keeps serving', async () => {
    const missing = await postJson(`${server.url}/embed`, { url: `${origin}/nothing.jpg` });
    expect(missing.status).toBe(422);
    expect((await json(missing)).detail).toMatch(/HTTP 404/);
    const forbidden = await postJson(`${server.url}/embed`, { url: 'http://169.254.169.254/latest/meta-data/' });
    expect(forbidden.status).toBe(400);
    expect((await json(forbidden)).detail).toMatch(/not allowed/);
    expect((await postJson(`${server.url}/embed`, { url: `${origin}/zidane.jpg` })).status).toBe(200);
  });
});
