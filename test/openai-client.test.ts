import { rmSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, MODEL_ROOTS, startServer, type TestServer } from './helpers.js';
import { dataUrl, modelsDirWithTinyVlm } from './tiny-vlm.js';

/** The real `openai` npm package pointed at Argus by its base URL only, on the tiny random-weight SmolVLM. */
let server: TestServer;
let modelsDir: string;
let client: OpenAI;
const imagePart = { type: 'image_url' as const, image_url: { url: dataUrl(image('zidane.jpg')) } };

beforeAll(async () => {
  modelsDir = modelsDirWithTinyVlm();
  server = await startServer({ modelsDir, modelRoots: MODEL_ROOTS });
  // No retries: a retried 4xx/5xx would hide what Argus answered.
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('the openai client library against Argus', () => {
  it('creates a chat completion with an image', async () => {
    const completion = await client.chat.completions.create({
      model: 'vlm-fast',
      messages: [{ role: 'user', content: [imagePart, { type: 'text', text: 'Who is this?' }] }],
      max_tokens: 10,
      seed: 9,
      temperature: 0.8,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('vlm-fast');
    expect(completion.choices[0].message.role).toBe('assistant');
    expect(typeof completion.choices[0].message.content).toBe('string');
    expect(['stop', 'length']).toContain(completion.choices[0].finish_reason);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(10);
  });

  it('streams a chat completion with an image', async () => {
    const request = { model: 'vlm-fast', messages: [{ role: 'user' as const, content: [imagePart, { type: 'text' as const, text: 'Who is this?' }] }], max_tokens: 12, seed: 2, temperature: 1 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe(whole.choices[0].finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['vlm-fast', 'vlm-best', 'yolov8n']));
  });

  it('raises the client\'s own exceptions with Argus\'s messages', async () => {
    const unknown = client.chat.completions.create({ model: 'llava-13b', messages: [{ role: 'user', content: 'hi' }] });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknown).rejects.toThrow(/Unknown model 'llava-13b'/);
    const bad = client.chat.completions.create({ model: 'vlm-fast', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 });
    await expect(bad).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const notPulled = client.chat.completions.create({ model: 'vlm-best', messages: [{ role: 'user', content: 'hi' }] });
    await expect(notPulled).rejects.toThrow(/argus models pull vlm-best/);
  });
});
