import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postJson, startServer, tempDir, type TestServer } from './helpers.js';
import { dataUrl, readEvents } from './tiny-vlm.js';

/**
 * Upstream models (manifest runtime `upstream`) against a small fake OpenAI-compatible server on
 * loopback. The fake is a mock by necessity: no real upstream (Ollama, vLLM, OpenAI) can run or be
 * reached here. It speaks the OpenAI wire format, including SSE with CRLF line ends, and fails on
 * demand by the model name it is asked for.
 */
interface Seen {
  method: string;
  url: string;
  authorization?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body?: any;
}

const KEY = 'sekret-test-key';
let fake: Server;
let fakeUrl: string;
const seen: Seen[] = [];
let server: TestServer;
let modelsDir: string;
const bus = image('bus.jpg');

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = raw ? JSON.parse(raw) : undefined;
  seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
  if (req.headers.authorization !== `Bearer ${KEY}`) return sendJson(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
  if (req.method === 'GET' && req.url === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: 'fake-vlm' }] });
  if (req.url !== '/v1/chat/completions') return sendJson(res, 404, { error: 'not found' });
  switch (body.model) {
    case 'rate-limited':
      return sendJson(res, 429, { error: { message: 'Rate limit reached, slow down' } }, { 'retry-after': '7' });
    case 'broken':
      return res.writeHead(500, { 'content-type': 'text/plain' }).end('boom: the GPU fell over');
    case 'missing':
      return sendJson(res, 404, { error: "model 'missing' not found, try pulling it first" });
    case 'hang':
      return; // never answers: Argus's timeout must
    case 'half-stream':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] })}\r\n\r\n`);
      res.end(`data: ${JSON.stringify({ error: { message: 'upstream overloaded' } })}\r\n\r\n`);
      return;
  }
  const lastUser = [...body.messages].reverse().find((m: { role: string }) => m.role === 'user');
  const text = typeof lastUser.content === 'string' ? lastUser.content : lastUser.content.filter((p: { type: string }) => p.type === 'text').map((p: { text: string }) => p.text).join(' ');
  const usage = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 };
  if (!body.stream) {
    return sendJson(res, 200, {
      id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: `Echo: ${text}` }, finish_reason: 'stop' }], usage,
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: object, finish: string | null) => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
  // CRLF line ends, a comment line and a chunk split mid-event: the parser must cope with all three.
  res.write(`: keep-alive\r\n\r\ndata: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\r\n\r\n`);
  for (const piece of ['Hello', ' from', ' upstream']) {
    const event = `data: ${JSON.stringify(chunk({ content: piece }, null))}\r\n\r\n`;
    res.write(event.slice(0, 10));
    res.write(event.slice(10));
  }
  res.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\r\n\r\n`);
  if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id: 'c', choices: [], usage })}\r\n\r\n`);
  res.end('data: [DONE]\r\n\r\n');
}

function manifest(alias: string, source: Record<string, unknown>) {
  writeFileSync(join(modelsDir, `${alias}.json`), JSON.stringify({ alias, task: 'chat', runtime: 'upstream', licence: 'NOASSERTION', source: { type: 'upstream', ...source } }));
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}

beforeAll(async () => {
  fake = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => fake.listen(0, '127.0.0.1', ok));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/v1`;
  process.env.ARGUS_TEST_UPSTREAM_KEY = KEY;
  process.env.ARGUS_TEST_WRONG_KEY = 'not-the-key';
  delete process.env.ARGUS_TEST_UNSET_KEY;
  modelsDir = tempDir('argus-upstream-models-');
  // snake_case as OpenAI-style configs write it; normalised to baseUrl/apiKeyEnv/timeoutMs.
  manifest('remote-vlm', { base_url: fakeUrl, model: 'fake-vlm', api_key_env: 'ARGUS_TEST_UPSTREAM_KEY' });
  for (const model of ['rate-limited', 'broken', 'missing', 'half-stream']) manifest(`remote-${model}`, { baseUrl: fakeUrl, model, apiKeyEnv: 'ARGUS_TEST_UPSTREAM_KEY' });
  manifest('remote-hang', { baseUrl: fakeUrl, model: 'hang', apiKeyEnv: 'ARGUS_TEST_UPSTREAM_KEY', timeoutMs: 300 });
  manifest('remote-badkey', { baseUrl: fakeUrl, model: 'fake-vlm', apiKeyEnv: 'ARGUS_TEST_WRONG_KEY' });
  manifest('remote-nokey', { baseUrl: fakeUrl, model: 'fake-vlm', apiKeyEnv: 'ARGUS_TEST_UNSET_KEY' });
  manifest('remote-down', { baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, model: 'fake-vlm' });
  writeFileSync(join(modelsDir, 'leaky.json'), JSON.stringify({ alias: 'leaky', task: 'chat', runtime: 'upstream', licence: 'NOASSERTION', source: { type: 'upstream', baseUrl: fakeUrl, model: 'x', api_key: 'sk-123' } }));
  server = await startServer({ modelsDir });
});

afterAll(async () => {
  await server?.close();
  await new Promise((ok) => fake?.close(ok));
  rmSync(modelsDir, { recursive: true, force: true });
});

const chat = (body: unknown) => postJson(`${server.url}/v1/chat/completions`, body);
const lastChat = () => seen.filter((s) => s.url === '/v1/chat/completions').at(-1)!;

describe('chat through an upstream OpenAI-compatible server', () => {
  it('forwards the request with its key and images, and answers in OpenAI\'s shape', async () => {
    const response = await chat({
      model: 'remote-vlm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(bus) } }, { type: 'text', text: 'What is this?' }] },
      ],
      max_tokens: 20, seed: 4, temperature: 0.5, stop: 'END',
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      object: 'chat.completion', model: 'remote-vlm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: What is this?' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    });
    const sent = lastChat();
    expect(sent.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toMatchObject({ model: 'fake-vlm', max_tokens: 20, seed: 4, temperature: 0.5, stop: ['END'], stream: false });
    expect(sent.body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(sent.body.messages[1].content[0].image_url.url).toBe(dataUrl(bus, 'image/jpeg'));
  });

  it('streams the upstream\'s answer back chunk by chunk', async () => {
    const response = await chat({ model: 'remote-vlm', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = (await readEvents(response)) as any[];
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.slice(1, 4).map((e) => e.choices[0].delta.content)).toEqual(['Hello', ' from', ' upstream']);
    expect(events.at(-3).choices[0].finish_reason).toBe('stop');
    expect(events.at(-2).usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(lastChat().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('runs in the API process, with no worker, and shows in the model list and status', async () => {
    const models = await json(await fetch(`${server.url}/v1/models`));
    expect(models.data.find((m: { id: string }) => m.id === 'remote-vlm')).toMatchObject({ runtime: 'upstream', available: true });
    const status = await json(await fetch(`${server.url}/v1/system/status`));
    expect(status.workers).toEqual([]);
    expect(status.models.find((m: { alias: string }) => m.alias === 'remote-vlm')).toMatchObject({ state: 'ready', workers: 0, provider: 'remote' });
    const loaded = await fetch(`${server.url}/v1/models/remote-vlm/load`, { method: 'POST' });
    expect(loaded.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/models' });
  });

  it('answers vision analyze presets through the upstream', async () => {
    const response = await postJson(`${server.url}/v1/vision/analyze`, { image: bus.toString('base64'), task: 'caption', model: 'remote-vlm' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ task: 'caption', source: 'model', model: 'remote-vlm', usage: { total_tokens: 14 } });
    expect(body.result).toMatch(/^Echo: Write a one-sentence caption/);
  });
});

describe('upstream failures become clear Argus errors', () => {
  const ask = (model: string, stream = false) => chat({ model, messages: [{ role: 'user', content: 'Hi' }], stream });

  it('429 keeps its status and Retry-After, streamed or not', async () => {
    for (const stream of [false, true]) {
      const response = await ask('remote-rate-limited', stream);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      const { error } = await json(response);
      expect(error.code).toBe('upstream_rate_limited');
      expect(error.message).toMatch(/slow down/);
    }
  });

  it('a 5xx is a 502 that quotes the upstream', async () => {
    const response = await ask('remote-broken');
    expect(response.status).toBe(502);
    const { error } = await json(response);
    expect(error.code).toBe('upstream_error');
    expect(error.message).toMatch(/HTTP 500: boom: the GPU fell over/);
  });

  it('a 404 (unknown upstream model) says what to check', async () => {
    const { error } = await json(await ask('remote-missing'));
    expect(error.code).toBe('upstream_error');
    expect(error.message).toMatch(/model 'missing' not found.*check baseUrl and the upstream model name/);
  });

  it('a refused key is upstream_auth_failed', async () => {
    const response = await ask('remote-badkey');
    expect(response.status).toBe(502);
    const { error } = await json(response);
    expect(error.code).toBe('upstream_auth_failed');
    expect(error.message).toMatch(/Incorrect API key/);
    expect(error.message).not.toMatch(/not-the-key/);
  });

  it('an unset key variable is a 503 naming the variable', async () => {
    const response = await ask('remote-nokey');
    expect(response.status).toBe(503);
    const { error } = await json(response);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toMatch(/ARGUS_TEST_UNSET_KEY/);
  });

  it('no answer within timeoutMs is a 504', async () => {
    const response = await ask('remote-hang');
    expect(response.status).toBe(504);
    expect((await json(response)).error.code).toBe('upstream_timeout');
  });

  it('connection refused is a 502 saying so', async () => {
    const response = await ask('remote-down');
    expect(response.status).toBe(502);
    const { error } = await json(response);
    expect(error.code).toBe('upstream_unreachable');
    expect(error.message).toMatch(/connection refused/);
  });

  it('an error in the middle of a stream ends it with an error event', async () => {
    const response = await ask('remote-half-stream', true);
    expect(response.status).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = (await readEvents(response)) as any[];
    expect(events[1].choices[0].delta.content).toBe('Hel');
    expect(events.at(-1).error).toMatchObject({ code: 'upstream_error' });
    expect(events.at(-1).error.message).toMatch(/upstream overloaded/);
  });

  it('a manifest holding the key itself is refused, and the server keeps serving', async () => {
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.problems.join('\n')).toMatch(/leaky\.json.*holds an API key/);
    expect((await ask('leaky')).status).toBe(404);
    expect((await ask('remote-vlm')).status).toBe(200);
  });
});
