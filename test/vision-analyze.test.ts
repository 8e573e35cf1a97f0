import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, MODEL_ROOTS, postImage, postJson, startServer, type TestServer } from './helpers.js';
import { modelsDirWithTinyVlm } from './tiny-vlm.js';

/**
 * POST /v1/vision/analyze and GET /v1/vision/tasks: each preset with the tiny random-weight
 * SmolVLM installed (its text is gibberish: shapes, sources and token counts are checked), then
 * without any vision-language model, where caption/describe are templated and say so.
 */
const bus = image('bus.jpg');

function analyze(server: TestServer, body: Record<string, unknown>) {
  return postJson(`${server.url}/v1/vision/analyze`, { image: bus.toString('base64'), ...body });
}

describe('with a vision-language model installed', () => {
  let server: TestServer;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = modelsDirWithTinyVlm();
    server = await startServer({ modelsDir, modelRoots: MODEL_ROOTS });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it.each(['caption', 'describe', 'analyze'])('%s asks the model with its preset prompt', async (task) => {
    const response = await analyze(server, { task, max_tokens: 6 });
    expect(response.status).toBe(200);
    const body = await json(response);
    // The replaced vision API's shape: model a string, usage with latency and prompt_used.
    expect(body).toMatchObject({ task, source: 'model', model: 'vlm-fast', created: expect.any(Number) });
    expect(body.usage.latency).toBeGreaterThan(0);
    expect(body.usage.prompt_used.length).toBeLessThanOrEqual(103);
    expect(typeof body.result).toBe('string');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(6);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.timings.total_ms).toBeGreaterThan(0);
    expect(body.notice).toBeUndefined();
  });

  it('custom uses the prompt given, and each preset prompt differs', async () => {
    const short = await json(await analyze(server, { task: 'custom', prompt: 'Hi', max_tokens: 2 }));
    const long = await json(await analyze(server, { task: 'custom', prompt: 'How many wheels does the bus have, and what colour is it?', max_tokens: 2 }));
    expect(short.source).toBe('model');
    expect(long.usage.prompt_tokens - short.usage.prompt_tokens).toBeGreaterThan(20);
    const caption = await json(await analyze(server, { task: 'caption', max_tokens: 1 }));
    const described = await json(await analyze(server, { task: 'describe', max_tokens: 1 }));
    expect(described.usage.prompt_tokens).toBeGreaterThan(caption.usage.prompt_tokens);
  });

  it('objects returns the detections as data and counts them in a sentence', async () => {
    const body = await json(await analyze(server, { task: 'objects' }));
    expect(body).toMatchObject({ task: 'objects', source: 'model', model: 'yolov8n' });
    const people = body.data.filter((d: { label: string }) => d.label === 'person').length;
    expect(people).toBeGreaterThanOrEqual(3);
    expect(body.data.some((d: { label: string }) => d.label === 'bus')).toBe(true);
    expect(body.result).toBe(`Detected ${people} people and a bus.`);
    expect(body.data[0]).toMatchObject({ box: { x1: expect.any(Number) }, confidence: expect.any(Number) });
  });

  it('ocr returns the lines as data (or a 503 naming the OCR task when this build has none)', async () => {
    const response = await postJson(`${server.url}/v1/vision/analyze`, { image: image('misc/page.png').toString('base64'), task: 'ocr' });
    const body = await json(response);
    if (response.status === 503) {
      expect(body.error.code).toBe('model_unavailable');
      expect(body.error.message).toMatch(/ocr/);
      return;
    }
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ task: 'ocr', source: 'model' });
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.result).toBe(body.result.trim());
    expect(body.result.length).toBeGreaterThan(3);
    for (const line of body.data) expect(body.result).toContain(line.text);
  });

  it('lists the tasks with what answers each', async () => {
    const { data } = await json(await fetch(`${server.url}/v1/vision/tasks`));
    expect(data.map((t: { task: string }) => t.task).sort()).toEqual(['analyze', 'caption', 'custom', 'describe', 'objects', 'ocr']);
    expect(data.find((t: { task: string }) => t.task === 'caption')).toMatchObject({ available: true, source: 'model', model: 'vlm-fast', uses: 'chat', prompt: expect.stringMatching(/caption/) });
    expect(data.find((t: { task: string }) => t.task === 'objects')).toMatchObject({ available: true, uses: 'detect', model: 'yolov8n' });
  });

  it('works as an async job (task vision.<preset>)', async () => {
    const submitted = await postImage(`${server.url}/v1/jobs`, bus, { task: 'vision.objects' });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return ['succeeded', 'failed'].includes(job.status) ? job : undefined;
    });
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ id, task: 'objects', source: 'model' });
    expect(done.result.result).toMatch(/^Detected \d+ people and a bus\.$/);
  });

  it('takes every documented field on every task, as the replaced API did (unused ones ignored)', async () => {
    // The document's own example: {"image", "task", "max_tokens": 512}, on every task.
    for (const task of ['caption', 'ocr', 'describe', 'analyze', 'objects', 'custom']) {
      const response = await analyze(server, { task, max_tokens: 512, prompt: 'What is in the picture?' });
      expect(response.status, task).not.toBe(400);
    }
    // No task: caption. Custom without a prompt: "Describe this image."
    expect((await json(await analyze(server, { max_tokens: 2 }))).task).toBe('caption');
    const custom = await json(await analyze(server, { task: 'custom', max_tokens: 2 }));
    expect(custom.usage.prompt_used).toBe('Describe this image.');
    const preset = await json(await analyze(server, { task: 'caption', prompt: 'ignored', max_tokens: 2 }));
    expect(preset.usage.prompt_used).toBe('Write a one-sentence caption for this image.');
  });

  it('works as multipart too', async () => {
    const response = await postImage(`${server.url}/v1/vision/analyze`, bus, { task: 'caption', max_tokens: '2' });
    expect(response.status).toBe(200);
    expect((await json(response)).source).toBe('model');
  });

  const bad: Array<[string, Record<string, unknown>, number, string | RegExp]> = [
    ['an unknown task', { task: 'poem' }, 400, 'invalid_params'],
    ['max_tokens 0', { task: 'caption', max_tokens: 0 }, 400, 'invalid_params'],
    ['no image', { task: 'caption', image: undefined }, 400, 'missing_image'],
    ['an image URL in the image field on loopback (fetched under the URL rules)', { task: 'caption', image: 'http://127.0.0.1:9/bus.jpg' }, 400, /loopback address/],
    ['an image URL on loopback (not allowlisted)', { task: 'caption', image: undefined, url: 'http://127.0.0.1:9/bus.jpg' }, 400, /loopback address/],
    ['text instead of an image', { task: 'caption', image: Buffer.from('hello world').toString('base64') }, 415, 'unsupported_media_type'],
    ['a chat model for objects', { task: 'objects', model: 'vlm-fast' }, 400, 'model_task_mismatch'],
  ];
  it.each(bad)('refuses %s', async (_name, body, status, expected) => {
    const response = await analyze(server, body);
    expect(response.status).toBe(status);
    const { error } = await json(response);
    if (typeof expected === 'string') expect(error.code).toBe(expected);
    else expect(error.message).toMatch(expected);
  });
});

describe('without a vision-language model', () => {
  let server: TestServer;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = modelsDirWithTinyVlm(false);
    server = await startServer({ modelsDir, modelRoots: MODEL_ROOTS });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('caption is composed from the detector (and classifier/OCR where installed) and says so', async () => {
    const response = await analyze(server, { task: 'caption' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ task: 'caption', source: 'templated', model: 'yolov8n' });
    expect(body.result).toMatch(/^An image with \d people and a bus\./);
    expect(body.notice).toMatch(/not by a vision-language model.*argus models pull vlm-fast/);
    expect(body.data.detections.length).toBeGreaterThanOrEqual(4);
    expect(body.usage.completion_tokens).toBeUndefined();
    expect(body.usage.prompt_used).toBeUndefined();
  });

  it('describe adds where the objects are', async () => {
    const body = await json(await analyze(server, { task: 'describe' }));
    expect(body.source).toBe('templated');
    expect(body.result).toMatch(/In detail: a (bus|person) .*% of the frame/);
  });

  it.each(['analyze', 'custom'])('%s has no template: a 503 that says what to install', async (task) => {
    const response = await analyze(server, { task, ...(task === 'custom' ? { prompt: 'What?' } : {}) });
    expect(response.status).toBe(503);
    const { error } = await json(response);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toMatch(/argus models pull vlm-fast/);
  });

  it('the task list says which answer templated and which cannot answer', async () => {
    const { data } = await json(await fetch(`${server.url}/v1/vision/tasks`));
    const byTask = Object.fromEntries(data.map((t: { task: string }) => [t.task, t]));
    expect(byTask.caption).toMatchObject({ available: true, source: 'templated', model: 'yolov8n' });
    expect(byTask.analyze).toMatchObject({ available: false });
    expect(byTask.analyze.reason).toMatch(/vlm-fast/);
    expect(byTask.objects).toMatchObject({ available: true, source: 'model' });
  });
});
