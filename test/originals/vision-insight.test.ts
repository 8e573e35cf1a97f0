/**
 * The OpenAI-compatible vision API (shared/originals/004, "Vision Insight API"; its gateway's code:
 * vibe-homelab/vision-insight-api, src/gateway/main.py), replayed as its clients call it: the real
 * `openai` npm client for every route it has (chat streamed and not, images.generate,
 * images.edit multipart, models.list), plain HTTP for the document's JSON-only variants, the
 * document's model names, its defaults and its system routes. No vision-language or diffusion
 * weights can be fetched here: the paths run on the tiny random-weight stand-ins (their output is
 * noise; shapes, names and defaults are checked), and the not-installed answer is checked too.
 */
import { rmSync } from 'node:fs';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, MODEL_ROOTS, postJson, startServer, type TestServer } from '../helpers.js';
import { addTinyDiffusion } from '../tiny-diffusion.js';
import { dataUrl, modelsDirWithTinyVlm } from '../tiny-vlm.js';

const bus = image('bus.jpg');
let server: TestServer;
let modelsDir: string;
let client: OpenAI;
let requests = 0;

beforeAll(async () => {
  modelsDir = modelsDirWithTinyVlm();
  addTinyDiffusion(modelsDir);
  server = await startServer({ modelsDir, modelRoots: MODEL_ROOTS });
  // The client as its users make it: default retries. Every request it sends is counted.
  client = new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: 'unused',
    fetch: (input: string | URL | Request, init?: RequestInit) => {
      requests += 1;
      return fetch(input, init);
    },
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('the document\'s routes through the openai client', () => {
  it('models.list has the document\'s aliases: vlm-fast, vlm-best, image-gen', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      ids.push(model.id);
      expect(model.object).toBe('model');
    }
    expect(ids).toEqual(expect.arrayContaining(['vlm-fast', 'vlm-best', 'image-gen', 'schnell', 'dev']));
  });

  it('chat.completions with an image, as the document sends it (text + image_url data URL, max_tokens), not streamed and streamed', async () => {
    const messages = [{
      role: 'user' as const,
      content: [{ type: 'text' as const, text: '이 이미지에 뭐가 있어?' }, { type: 'image_url' as const, image_url: { url: dataUrl(bus) } }],
    }];
    const completion = await client.chat.completions.create({ model: 'vlm-fast', messages, max_tokens: 8 });
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(typeof completion.choices[0]!.message.content).toBe('string');
    expect(completion.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);

    const stream = await client.chat.completions.create({ model: 'vlm-fast', messages, max_tokens: 4, stream: true });
    let text = '';
    let finished: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finished = chunk.choices[0]?.finish_reason ?? finished;
    }
    expect(typeof text).toBe('string');
    expect(finished).toMatch(/^(stop|length)$/);
  });

  it('chat with a hard-coded OpenAI model name is answered by the default model, as the original redirected gpt/claude names', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(completion.model).toBe('vlm-fast');
  });

  it('images.generate with the document\'s request: model schnell gets 4 steps, dev 20, no model is schnell', async () => {
    const schnell = await client.images.generate({ prompt: 'a cute cat sitting on a chair', size: '64x64', model: 'schnell', seed: 42 } as never);
    expect(schnell.data![0]!.b64_json).toBeTruthy();
    expect(schnell.data![0]!.revised_prompt).toBe('a cute cat sitting on a chair');
    expect(schnell.usage).toMatchObject({ seed: 42, steps: 4, latency: expect.any(Number) });
    const dev = await client.images.generate({ prompt: 'a cat', size: '64x64', model: 'dev', seed: 1 } as never);
    expect(dev.usage).toMatchObject({ steps: 20 });
    const unnamed = await client.images.generate({ prompt: 'a cat', size: '64x64', seed: 1 } as never);
    expect(unnamed.usage).toMatchObject({ steps: 4 });
    const explicit = await client.images.generate({ prompt: 'a cat', size: '64x64', model: 'image-gen', steps: 2, seed: 1 } as never);
    expect(explicit.usage).toMatchObject({ steps: 2 });
  });

  it('the quick start\'s curl (prompt and size only) answers {created, data: [{b64_json, revised_prompt}], usage: {latency, seed}}', async () => {
    const response = await postJson(`${server.url}/v1/images/generations`, { prompt: 'a cat in space', size: '64x64' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ created: expect.any(Number), data: [{ b64_json: expect.any(String), revised_prompt: 'a cat in space' }], usage: { latency: expect.any(Number), seed: expect.any(Number) } });
    const { width, height, format } = await sharp(Buffer.from(body.data[0].b64_json, 'base64')).metadata();
    expect({ width, height, format }).toEqual({ width: 64, height: 64, format: 'png' });
  });

  it('images.edit as a multipart upload, and the document\'s JSON edit (base64 image, strength 0.7 by default)', async () => {
    const photo = await sharp(bus).resize(64, 64).png().toBuffer();
    const edited = await client.images.edit({ image: await toFile(photo, 'photo.png', { type: 'image/png' }), prompt: 'make it sunset', model: 'schnell', seed: 3 } as never);
    expect(edited.data![0]!.b64_json).toBeTruthy();
    // 4 steps at strength 0.7 run the last 4 of a 6-step schedule: 0.67 applied.
    expect((edited.usage as unknown as { strength: number }).strength).toBeCloseTo(0.7, 1);

    const response = await postJson(`${server.url}/v1/images/edits`, { prompt: 'make it sunset', image: photo.toString('base64'), strength: 0.7, steps: 4 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.usage).toMatchObject({ steps: 4, seed: expect.any(Number), strength: expect.any(Number) });
  });
});

describe('the document\'s JSON-only routes', () => {
  it('POST /v1/vision/analyze with the document\'s example ({image, task, max_tokens}) on every task', async () => {
    for (const task of ['caption', 'ocr', 'describe', 'analyze', 'objects', 'custom']) {
      const response = await postJson(`${server.url}/v1/vision/analyze`, { image: bus.toString('base64'), task, max_tokens: 512 });
      expect(response.status, task).toBe(200);
      const body = await json(response);
      expect(body, task).toMatchObject({ task, result: expect.any(String), created: expect.any(Number), model: expect.any(String), usage: { latency: expect.any(Number) } });
    }
  });

  it('GET /v1/vision/tasks lists the six tasks as the original did ({tasks: [{id, description}]})', async () => {
    const body = await json(await fetch(`${server.url}/v1/vision/tasks`));
    expect(body.tasks.map((t: { id: string }) => t.id)).toEqual(['caption', 'ocr', 'describe', 'analyze', 'objects', 'custom']);
    for (const t of body.tasks) expect(typeof t.description).toBe('string');
  });

  it('GET /v1/system/status (memory, workers), POST /v1/system/evict/image-gen, GET /healthz', async () => {
    const status = await json(await fetch(`${server.url}/v1/system/status`));
    expect(status.memory).toMatchObject({ total_gb: expect.any(Number), available_gb: expect.any(Number), used_percent: expect.any(Number), models_loaded_gb: expect.any(Number) });
    expect(Array.isArray(status.workers)).toBe(true);
    expect(status.config.idle_timeout_seconds).toBe(300);

    const evicted = await fetch(`${server.url}/v1/system/evict/image-gen`, { method: 'POST' });
    expect(evicted.status).toBe(200);
    expect(await json(evicted)).toMatchObject({ status: 'evicted', alias: 'image-gen', model: 'tiny-sd' });

    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.status).toMatch(/^(ok|degraded)$/);
    expect(health.timestamp).toBeCloseTo(Date.now() / 1000, -1);
  });
});

describe('errors as OpenAI\'s clients read them', () => {
  it('a bad request is a BadRequestError with OpenAI\'s {error: {message, type, param, code}}', async () => {
    const response = await postJson(`${server.url}/v1/chat/completions`, { model: 'vlm-fast', messages: [] });
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error).toMatchObject({ message: expect.any(String), type: 'invalid_request_error', param: 'messages', code: 'invalid_params' });
    await expect(client.chat.completions.create({ model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('a model that is not installed is one request, not three: no retry, and the message names the command that installs it', async () => {
    requests = 0;
    const started = Date.now();
    const call = client.chat.completions.create({ model: 'vlm-best', messages: [{ role: 'user', content: 'hi' }] });
    await expect(call).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(call).rejects.toThrow(/argus models pull vlm-best/);
    expect(requests).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('without any generation model', () => {
  let bare: TestServer;
  let bareModels: string;

  beforeAll(async () => {
    bareModels = modelsDirWithTinyVlm(false);
    bare = await startServer({ modelsDir: bareModels, modelRoots: MODEL_ROOTS });
  });

  afterAll(async () => {
    await bare?.close();
    rmSync(bareModels, { recursive: true, force: true });
  });

  it('images.generate fails once, with the command that installs the model, and is not retried', async () => {
    let sent = 0;
    const bareClient = new OpenAI({
      baseURL: `${bare.url}/v1`,
      apiKey: 'unused',
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        sent += 1;
        return fetch(input, init);
      },
    });
    const call = bareClient.images.generate({ prompt: 'a cat in space', model: 'schnell' });
    await expect(call).rejects.toMatchObject({ status: 503 });
    await expect(call).rejects.toThrow(/argus models pull sd-turbo/);
    expect(sent).toBe(1);
    const response = await postJson(`${bare.url}/v1/images/generations`, { prompt: 'a cat in space' });
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('retry-after')).toBeNull();
  });
});
