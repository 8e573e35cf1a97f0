/**
 * Image generation through an upstream OpenAI-compatible server. The upstream is a small fake on
 * loopback (a real GPU server cannot run here); it records what Argus sends and answers as
 * OpenAI's images API does, including its errors.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, postJson, startServer, tempDir, type TestServer } from './helpers.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const seen: Seen[] = [];
let upstream: Server;
let upstreamUrl: string;
let server: TestServer;
let modelsDir: string;
const KEY_VARIABLE = 'ARGUS_TEST_IMAGES_UPSTREAM_KEY';

/** A solid-colour PNG of the asked size: what the fake "generates". */
async function fakePng(width: number, height: number, shade: number): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r: shade, g: 40, b: 90 } } }).png().toBuffer();
  return png.toString('base64');
}

beforeAll(async () => {
  upstream = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      void (async () => {
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        seen.push({ path: request.url ?? '', headers: request.headers, body });
        const send = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (request.url !== '/v1/images/generations') return send(404, { error: { message: `no route ${request.url}` } });
        const prompt = String(body.prompt);
        if (prompt === 'fail') return send(500, { error: { message: 'the GPU is on fire' } });
        if (prompt === 'refuse') return send(400, { error: { message: 'size must be 1024x1024', type: 'invalid_request_error' } });
        if (prompt === 'url') return send(200, { created: 1, data: [{ url: 'https://example.invalid/a.png' }] });
        const [width, height] = String(body.size ?? '256x256').split('x').map(Number);
        const data = await Promise.all(Array.from({ length: Number(body.n ?? 1) }, async (_, i) => ({
          b64_json: await fakePng(width, height, 10 + i), revised_prompt: `revised: ${prompt}`,
        })));
        return send(200, { created: 1_700_000_000, data });
      })();
    });
  });
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  process.env[KEY_VARIABLE] = 'sk-test-123';
  modelsDir = tempDir('argus-images-upstream-');
  writeFileSync(join(modelsDir, 'gpu-images.json'), JSON.stringify({
    alias: 'gpu-images', task: 'generate', runtime: 'upstream', licence: 'other',
    source: { type: 'upstream', baseUrl: upstreamUrl, model: 'flux-dev', apiKeyEnv: KEY_VARIABLE },
  }));
  // An upstream nobody listens on: port 9 (discard) on loopback refuses connections.
  writeFileSync(join(modelsDir, 'gone-images.json'), JSON.stringify({
    alias: 'gone-images', task: 'generate', runtime: 'upstream', licence: 'other',
    source: { type: 'upstream', baseUrl: 'http://127.0.0.1:9/v1', model: 'flux-dev', timeoutMs: 2000 },
  }));
  server = await startServer({ modelsDir });
});

afterAll(async () => {
  await server?.close();
  await new Promise((done) => upstream?.close(done));
  delete process.env[KEY_VARIABLE];
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('generation through an upstream server', () => {
  it('forwards the request in OpenAI\'s shape, with the key, and returns the upstream\'s images', async () => {
    seen.length = 0;
    const response = await postJson(`${server.url}/v1/images/generations`, { model: 'gpu-images', prompt: 'a castle', size: '320x192', n: 2, seed: 42, steps: 4 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(seen).toHaveLength(1);
    expect(seen[0].path).toBe('/v1/images/generations');
    expect(seen[0].headers.authorization).toBe('Bearer sk-test-123');
    expect(seen[0].body).toEqual({ model: 'flux-dev', prompt: 'a castle', n: 2, size: '320x192', response_format: 'b64_json', seed: 42, steps: 4 });
    expect(body.data).toHaveLength(2);
    expect(body.data[0].b64_json).toBe(await fakePng(320, 192, 10));
    expect(body.data[1].b64_json).toBe(await fakePng(320, 192, 11));
    expect(body.data[0].revised_prompt).toBe('revised: a castle');
    expect(body).toMatchObject({ model: 'gpu-images', size: '320x192', usage: { seed: 42, steps: 4 } });
    expect(body.usage.latency).toBeGreaterThan(0);
  });

  it('sends only what the request set, and works from the openai client', async () => {
    seen.length = 0;
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x' });
    const answer = await client.images.generate({ model: 'gpu-images', prompt: 'a lake' });
    expect(seen[0].body).toEqual({ model: 'flux-dev', prompt: 'a lake', n: 1, response_format: 'b64_json' });
    const { width, height } = await sharp(Buffer.from(answer.data![0].b64_json!, 'base64')).metadata();
    // No size asked: the upstream's default (256² here) comes back, and Argus reports what it got.
    expect([width, height]).toEqual([256, 256]);
    expect((answer as unknown as { size: string }).size).toBe('256x256');
  });

  it('maps upstream failures to clear errors', async () => {
    const post = (prompt: string, model = 'gpu-images') => postJson(`${server.url}/v1/images/generations`, { model, prompt });
    const failed = await post('fail');
    expect(failed.status).toBe(502);
    expect((await json(failed)).error).toMatchObject({ code: 'upstream_error', message: expect.stringMatching(/GPU is on fire/) });
    const refused = await post('refuse');
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toMatchObject({ code: 'upstream_rejected', message: expect.stringMatching(/size must be 1024x1024/) });
    const urls = await post('url');
    expect(urls.status).toBe(502);
    expect((await json(urls)).error.message).toMatch(/as a URL although b64_json was asked for/);
    const gone = await post('a cat', 'gone-images');
    expect(gone.status).toBe(502);
    expect((await json(gone)).error.code).toBe('upstream_unreachable');
  });

  it('refuses edits for an upstream model by name', async () => {
    const png = Buffer.from(await fakePng(64, 64, 1), 'base64');
    const response = await postJson(`${server.url}/v1/images/edits`, { model: 'gpu-images', prompt: 'x', image: png.toString('base64') });
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toMatch(/not edits/);
  });
});
