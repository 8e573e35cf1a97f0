/**
 * The original recognizer's backend kept as an option: the Hugging Face Inference API as the
 * recognition model (`runtime: upstream`, `kind: hf-inference`). A fake Inference API on loopback
 * stands in for huggingface.co (these machines reach no hub): it checks the token and answers as
 * the real one does, including 503 "model is loading" with `estimated_time`, 429 with
 * Retry-After, and 401.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { image, json, startServer, tempDir, type TestServer } from './helpers.js';

const TOKEN = 'hf_test_token_123';
const bus = image('bus.jpg');
type Mode = 'ok' | 'loading-then-ok' | 'loading-long' | 'rate-limited-then-ok' | 'rate-limited-long' | 'unauthorized';

let fake: Server;
let server: TestServer;
let modelsDir: string;
let mode: Mode = 'ok';
let calls: Array<{ url: string; auth?: string; type?: string; bytes: number }> = [];

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  calls.push({ url: req.url ?? '', auth: req.headers.authorization, type: req.headers['content-type'], bytes: Buffer.concat(chunks).length });
  const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  if (req.headers.authorization !== `Bearer ${TOKEN}` || mode === 'unauthorized') return send(401, { error: 'Invalid credentials in Authorization header' });
  if (req.url !== '/models/acme/car-classifier') return send(404, { error: 'Model acme/x does not exist' });
  const first = calls.length === 1;
  if (mode === 'loading-then-ok' && first) return send(503, { error: 'Model acme/car-classifier is currently loading', estimated_time: 0.3 });
  if (mode === 'loading-long') return send(503, { error: 'Model acme/car-classifier is currently loading', estimated_time: 120 });
  if (mode === 'rate-limited-then-ok' && first) return send(429, { error: 'Rate limit reached' }, { 'retry-after': '1' });
  if (mode === 'rate-limited-long') return send(429, { error: 'Rate limit reached' }, { 'retry-after': '3600' });
  send(200, [{ label: 'BMW M3 Coupe 2012', score: 0.07 }, { label: 'Tesla Model S Sedan 2012', score: 0.91 }, { label: 'Audi R8 Coupe 2012', score: 0.02 }]);
}

async function recognizeNew(): Promise<{ id: number; response: Response }> {
  const form = new FormData();
  form.append('file', new Blob([bus]), 'car.jpg');
  const { id } = (await json(await fetch(`${server.url}/upload/`, { method: 'POST', body: form }))).files[0];
  return { id, response: await fetch(`${server.url}/inference/${id}`, { method: 'POST' }) };
}

beforeAll(async () => {
  fake = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => fake.listen(0, '127.0.0.1', ok));
  const baseUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  process.env.ARGUS_TEST_HF_TOKEN = TOKEN;
  modelsDir = tempDir('argus-hf-models-');
  writeFileSync(join(modelsDir, 'hf-cars.json'), JSON.stringify({
    alias: 'hf-cars', task: 'classify', runtime: 'upstream', licence: 'NOASSERTION',
    source: { type: 'upstream', kind: 'hf-inference', baseUrl, model: 'acme/car-classifier', apiKeyEnv: 'ARGUS_TEST_HF_TOKEN', timeoutMs: 5_000 },
  }));
  server = await startServer({ modelsDir, recognizeModel: 'hf-cars', maxEventLoopDelayMs: 0 });
});

beforeEach(() => {
  calls = [];
  mode = 'ok';
});

afterAll(async () => {
  await server?.close();
  await new Promise((ok) => fake?.close(ok));
  rmSync(modelsDir, { recursive: true, force: true });
  delete process.env.ARGUS_TEST_HF_TOKEN;
});

describe('recognition through the Hugging Face Inference API', () => {
  it('sends the image bytes with the token and stores the labels best first, naming the model', async () => {
    const { id, response } = await recognizeNew();
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.model.alias).toBe('hf-cars');
    expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(['Tesla Model S Sedan 2012', 'BMW M3 Coupe 2012', 'Audi R8 Coupe 2012']);
    expect(body.predictions[0].confidence).toBe(0.91);
    expect(calls).toEqual([{ url: '/models/acme/car-classifier', auth: `Bearer ${TOKEN}`, type: 'image/jpeg', bytes: bus.length }]);
    expect((await json(await fetch(`${server.url}/files/${id}`))).model.alias).toBe('hf-cars');
  });

  it('waits while the model loads (503 with estimated_time) and then answers', async () => {
    mode = 'loading-then-ok';
    const { response } = await recognizeNew();
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('answers 503 upstream_loading with Retry-After when loading outlasts the request, and the image stays unprocessed', async () => {
    mode = 'loading-long';
    const { id, response } = await recognizeNew();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('120');
    // FastAPI's {"detail"}, as the original answered its HF errors; Argus's code in the header.
    expect(response.headers.get('x-argus-error-code')).toBe('upstream_loading');
    expect((await json(response)).detail).toMatch(/still loading/);
    expect((await json(await fetch(`${server.url}/files/${id}`))).processed).toBe(false);
  });

  it('retries a short rate limit, and passes a long one on as 429 with its Retry-After', async () => {
    mode = 'rate-limited-then-ok';
    expect((await recognizeNew()).response.status).toBe(200);
    expect(calls).toHaveLength(2);
    mode = 'rate-limited-long';
    calls = [];
    const { response } = await recognizeNew();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3600');
    expect(response.headers.get('x-argus-error-code')).toBe('upstream_rate_limited');
    expect(calls).toHaveLength(1);
  });

  it('maps 401 to a clear upstream_auth_failed naming the key setting, without retrying', async () => {
    mode = 'unauthorized';
    const { response } = await recognizeNew();
    expect(response.status).toBe(502);
    expect(response.headers.get('x-argus-error-code')).toBe('upstream_auth_failed');
    const { detail } = await json(response);
    expect(detail).toMatch(/apiKeyEnv/);
    expect(detail).not.toContain(TOKEN);
    expect(calls).toHaveLength(1);
  });
});
