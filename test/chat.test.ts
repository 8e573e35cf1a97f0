import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, MODEL_ROOTS, postJson, startServer, type TestServer } from './helpers.js';
import { dataUrl, modelsDirWithTinyVlm, readEvents } from './tiny-vlm.js';

/**
 * POST /v1/chat/completions end to end on the tiny random-weight SmolVLM (real worker process,
 * real transformers.js, real ONNX graphs). The text is gibberish; shapes, token counts,
 * finish reasons, streaming and determinism are what is checked.
 */
let server: TestServer;
let modelsDir: string;
const bus = image('bus.jpg');

function ask(text: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'vlm-fast',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(bus) } }, { type: 'text', text }] }],
    ...extra,
  };
}

const chat = (body: unknown) => postJson(`${server.url}/v1/chat/completions`, body);

beforeAll(async () => {
  modelsDir = modelsDirWithTinyVlm();
  server = await startServer({ modelsDir, modelRoots: MODEL_ROOTS });
});

afterAll(async () => {
  await server?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('chat completions on a local vision-language model', () => {
  it('answers in OpenAI\'s shape, with token counts and a finish reason', async () => {
    const response = await chat(ask('What is this?', { max_tokens: 12, temperature: 1, seed: 7 }));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'vlm-fast', choices: [{ index: 0, message: { role: 'assistant' }, logprobs: null }] });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(Number.isInteger(body.created)).toBe(true);
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(600);
    const { usage, choices } = body;
    expect(typeof choices[0].message.content).toBe('string');
    // bus.jpg is resized to 48×64, padded to 64×64 and split into 2×2 tiles of 32 px plus the
    // whole image, 4 tokens each, with SmolVLM's row/column and image-boundary tokens around them.
    expect(usage.prompt_tokens).toBe(58);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(['stop', 'length']).toContain(choices[0].finish_reason);
    if (choices[0].finish_reason === 'length') expect(usage.completion_tokens).toBe(12);
    else expect(usage.completion_tokens).toBeLessThanOrEqual(12);
    expect(body.timings.inference_ms).toBeGreaterThan(0);
  });

  it('gives the same answer for the same seed, and another for another seed', async () => {
    const answer = async (seed: number) => (await json(await chat(ask('Describe it.', { max_tokens: 16, temperature: 1, seed })))).choices[0].message.content;
    const first = await answer(11);
    expect(await answer(11)).toBe(first);
    expect(await answer(12)).not.toBe(first);
    // Greedy decoding (no temperature) is deterministic without a seed.
    const greedy = async () => (await json(await chat(ask('Describe it.', { max_tokens: 8 })))).choices[0].message.content;
    expect(await greedy()).toBe(await greedy());
  });

  it('streams chat.completion.chunk events that add up to the same answer, then [DONE]', async () => {
    const request = ask('What is this?', { max_tokens: 20, temperature: 1, seed: 3 });
    const whole = await json(await chat(request));
    const response = await chat({ ...request, stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const chunks = events.slice(0, -1) as any[];
    for (const chunk of chunks) expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'vlm-fast' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual(whole.usage);
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: whole.choices[0].finish_reason });
    const deltas = chunks.slice(1, -2).map((c) => c.choices[0].delta.content);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(whole.choices[0].message.content);
  });

  it('ends before a stop sequence, streamed or not', async () => {
    const request = ask('Go on.', { max_tokens: 24, temperature: 1, seed: 5 });
    const full: string = (await json(await chat(request))).choices[0].message.content;
    // A piece from the middle of the answer, free of replacement characters (which the decoder may revise).
    const start = Array.from({ length: full.length }, (_, i) => i).find((i) => i >= 2 && /^[^\uFFFD]{2}$/.test(full.slice(i, i + 2)) && i + 2 < full.length);
    expect(start).toBeDefined();
    const stop = full.slice(start!, start! + 2);
    const expected = full.slice(0, full.indexOf(stop));
    const stopped = await json(await chat({ ...request, stop }));
    expect(stopped.choices[0].message.content).toBe(expected);
    expect(stopped.choices[0].finish_reason).toBe('stop');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const events = (await readEvents(await chat({ ...request, stop: [stop, 'never-there'], stream: true }))) as any[];
    const streamed = events.slice(1, -1).map((e) => e.choices[0].delta.content ?? '').join('');
    expect(streamed).toBe(expected);
    expect(events.at(-2).choices[0].finish_reason).toBe('stop');
  });

  it('chats with text only, string content and a system message', async () => {
    const response = await chat({
      model: 'vlm-fast',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
      max_completion_tokens: 4,
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(4);
    expect(body.usage.prompt_tokens).toBeGreaterThan(5);
    expect(body.usage.prompt_tokens).toBeLessThan(40);
  });

  it('takes several images in one conversation, each in its place', async () => {
    const two = await json(await chat({
      model: 'vlm-fast',
      messages: [{ role: 'user', content: [
        { type: 'image_url', image_url: { url: dataUrl(bus) } },
        { type: 'text', text: 'and' },
        { type: 'image_url', image_url: dataUrl(image('zidane.jpg')) },
      ] }],
      max_tokens: 2,
    }));
    const one = await json(await chat({ model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(bus) } }, { type: 'text', text: 'and' }] }], max_tokens: 2 }));
    // zidane.jpg (1280×720) becomes 2×1 tiles plus the whole image: 3 × 4 image tokens with their markers.
    expect(two.usage.prompt_tokens - one.usage.prompt_tokens).toBeGreaterThan(12);
  });

  it('runs as an async job too', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, {
      task: 'chat',
      model: 'vlm-fast',
      image: bus.toString('base64'),
      params: { messages: [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Hi' }] }], max_tokens: 3 },
    });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    });
    expect(done.status).toBe('succeeded');
    // The same conversation through the synchronous route gives the same (greedy) answer.
    const sync = await json(await chat(ask('Hi', { max_tokens: 3 })));
    expect(done.result).toMatchObject({ model: { alias: 'vlm-fast' }, usage: sync.usage, content: sync.choices[0].message.content });
  });

  it('stops generating when the client goes away mid-stream', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ask('Tell me everything.', { max_tokens: 8192, temperature: 1, seed: 1, stream: true })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    // 8192 tokens take the tiny model far longer than this; a cancelled run frees its worker at once.
    await eventually(async () => {
      const status = await json(await fetch(`${server.url}/v1/system/status`));
      const worker = status.workers.find((w: { model: string }) => w.model === 'vlm-fast');
      return worker && !worker.busy ? true : undefined;
    }, 10_000);
    expect((await chat(ask('Still there?', { max_tokens: 2 }))).status).toBe(200);
  });
});

describe('bad chat requests get a clear 4xx and the server keeps serving', () => {
  const cases: Array<[string, unknown, number, string | RegExp]> = [
    ['missing messages', { model: 'vlm-fast' }, 400, 'invalid_params'],
    ['empty messages', { model: 'vlm-fast', messages: [] }, 400, 'invalid_params'],
    ['a non-image data URL', { model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGVsbG8=' } }] }] }, 415, 'unsupported_media_type'],
    ['text bytes declared as PNG', { model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8gd29ybGQ=' } }] }] }, 415, 'unsupported_media_type'],
    ['broken base64', { model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,@@@' } }] }] }, 400, 'invalid_base64'],
    ['an image URL on loopback (not allowlisted)', { model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://127.0.0.1:9/a.jpg' } }] }] }, 400, /loopback address.*ARGUS_URL_ALLOWLIST/],
    ['an unknown model', { model: 'llava-13b', messages: [{ role: 'user', content: 'hi' }] }, 404, 'model_not_found'],
    ['a detector as chat model', { model: 'yolov8n', messages: [{ role: 'user', content: 'hi' }] }, 400, 'model_task_mismatch'],
    ['stream with n > 1', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], stream: true, n: 2 }, 400, /n > 1/],
    ['n > 1', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], n: 3 }, 400, /n > 1/],
    ['max_tokens 0', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }, 400, 'invalid_params'],
    ['max_tokens negative', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: -5 }, 400, 'invalid_params'],
    ['max_completion_tokens 0', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 0 }, 400, 'invalid_params'],
    ['max_tokens beyond the limit', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1_000_000 }, 400, 'invalid_params'],
    ['a tool message', { model: 'vlm-fast', messages: [{ role: 'tool', content: 'x' }] }, 400, /not supported/],
    ['an audio part', { model: 'vlm-fast', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 400, /input_audio/],
    ['temperature above 2', { model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], temperature: 5 }, 400, 'invalid_params'],
  ];

  it.each(cases)('%s', async (_name, body, status, expected) => {
    const response = await chat(body);
    expect(response.status).toBe(status);
    const { error } = await json(response);
    expect(typeof error.message).toBe('string');
    if (typeof expected === 'string') expect(error.code).toBe(expected);
    else expect(error.message).toMatch(expected);
  });

  it('still answers after all of them', async () => {
    expect((await chat(ask('Still fine?', { max_tokens: 2 }))).status).toBe(200);
  });
});
