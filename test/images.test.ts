/**
 * POST /v1/images/generations and /v1/images/edits end to end: a real server, real worker
 * processes and onnxruntime, on the tiny Stable Diffusion stand-in (test/fixtures/tiny-diffusion,
 * made by scripts/make-tiny-diffusion.py with the real export's layout and names). Its weights are
 * random, so these tests check shapes, sizes, determinism and the API, not picture quality.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postJson, startServer, tempDir, type TestServer } from './helpers.js';
import { addTinyDiffusion, filesUnder, TINY_DIFFUSION_DIR } from './tiny-diffusion.js';

/** A models directory holding the tiny pipeline where a Hugging Face pull would put it, with its manifest. */
function tinyDiffusionModelsDir(): string {
  const dir = tempDir('argus-images-');
  addTinyDiffusion(dir);
  // The same export without its UNet: it loads as a folder but is no usable pipeline.
  cpSync(TINY_DIFFUSION_DIR, join(dir, 'huggingface/argus-test/no-unet'), { recursive: true });
  rmSync(join(dir, 'huggingface/argus-test/no-unet/unet'), { recursive: true });
  writeFileSync(join(dir, 'no-unet.json'), JSON.stringify({
    alias: 'no-unet', task: 'generate', runtime: 'onnx', licence: 'MIT', memoryMb: 150, threads: 1, instances: 1,
    source: { type: 'huggingface', id: 'argus-test/no-unet', files: filesUnder(TINY_DIFFUSION_DIR).filter((f) => !f.startsWith('unet/')) },
  }));
  return dir;
}

async function pixels(b64: string): Promise<{ data: Buffer; width: number; height: number; format: string | undefined }> {
  const bytes = Buffer.from(b64, 'base64');
  const { format } = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, format };
}

async function postForm(url: string, fields: Record<string, string | Blob>): Promise<Response> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Blob) form.append(key, value, `${key}.png`);
    else form.append(key, value);
  }
  return fetch(url, { method: 'POST', body: form });
}

let server: TestServer;
let modelsDir: string;
let generations: string;
let edits: string;
/** A 128×64 photo (bus.jpg, resized) as PNG: the edit input. */
let photo: Buffer;

beforeAll(async () => {
  modelsDir = tinyDiffusionModelsDir();
  server = await startServer({ modelsDir });
  generations = `${server.url}/v1/images/generations`;
  edits = `${server.url}/v1/images/edits`;
  photo = await sharp(image('bus.jpg')).resize(128, 64, { fit: 'fill' }).png().toBuffer();
});

afterAll(async () => {
  await server?.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('POST /v1/images/generations', () => {
  it('returns valid PNGs of the requested size in OpenAI\'s shape, with the seed and latency', async () => {
    const response = await postJson(generations, { prompt: 'a red bus in the city', size: '128x64', seed: 7, model: 'tiny-sd' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.created).toBeGreaterThan(1.7e9);
    expect(body.created).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(body.data).toHaveLength(1);
    expect(body.data[0].revised_prompt).toBe('a red bus in the city');
    const png = await pixels(body.data[0].b64_json);
    expect(png).toMatchObject({ width: 128, height: 64, format: 'png' });
    expect(body.usage).toMatchObject({ seed: 7, steps: 1, guidance: 0, prompt_tokens: expect.any(Number), prompt_tokens_dropped: 0 });
    expect(body.usage.latency).toBeGreaterThan(0);
    expect(body.usage.latency).toBeLessThan(body.timings.total_ms / 1000 + 0.01);
    expect(body).toMatchObject({ model: 'tiny-sd', size: '128x64' });
    // Random weights still make a picture with some variety, not one flat colour.
    expect(new Set(png.data).size).toBeGreaterThan(20);
  });

  it('gives byte-identical PNGs for the same seed and arguments, and different bytes for another seed', async () => {
    const request = { prompt: 'an astronaut riding a horse', size: '64x64', seed: 1234, steps: 2, model: 'tiny-sd' };
    const [a, b, c] = await Promise.all([
      postJson(generations, request).then(json),
      postJson(generations, request).then(json),
      postJson(generations, { ...request, seed: 1235 }).then(json),
    ]);
    expect(a.data[0].b64_json).toBe(b.data[0].b64_json);
    expect(c.data[0].b64_json).not.toBe(a.data[0].b64_json);
    const other = await postJson(generations, { ...request, prompt: 'a bowl of fruit' }).then(json);
    expect(other.data[0].b64_json).not.toBe(a.data[0].b64_json);
  });

  it('makes n images, image i from seed + i, and picks a seed when none is given', async () => {
    const two = await postJson(generations, { prompt: 'a dog in the park', size: '64x64', n: 2, seed: 50, model: 'tiny-sd' }).then(json);
    expect(two.data).toHaveLength(2);
    expect(two.data[0].b64_json).not.toBe(two.data[1].b64_json);
    for (const item of two.data) expect(await pixels(item.b64_json)).toMatchObject({ width: 64, height: 64 });
    const second = await postJson(generations, { prompt: 'a dog in the park', size: '64x64', seed: 51, model: 'tiny-sd' }).then(json);
    const [fromBatch, alone] = await Promise.all([pixels(two.data[1].b64_json), pixels(second.data[0].b64_json)]);
    // Same noise, same prompt; only the UNet batch differs, which may move a value by a rounding step.
    const diff = Math.max(...fromBatch.data.map((v, i) => Math.abs(v - alone.data[i])));
    expect(diff).toBeLessThanOrEqual(2);

    const unseeded = await postJson(generations, { prompt: 'a dog in the park', size: '64x64', model: 'tiny-sd' }).then(json);
    expect(Number.isInteger(unseeded.usage.seed)).toBe(true);
    const replay = await postJson(generations, { prompt: 'a dog in the park', size: '64x64', model: 'tiny-sd', seed: unseeded.usage.seed }).then(json);
    expect(replay.data[0].b64_json).toBe(unseeded.data[0].b64_json);
  });

  it('guides with a negative prompt when guidance > 1 (a different image from unguided)', async () => {
    const base = { prompt: 'a cat', size: '64x64', seed: 3, model: 'tiny-sd' };
    const plain = await postJson(generations, base).then(json);
    const guided = await postJson(generations, { ...base, guidance: 5, negative_prompt: 'blurry' }).then(json);
    expect(guided.usage.guidance).toBe(5);
    expect(guided.data[0].b64_json).not.toBe(plain.data[0].b64_json);
  });

  it('says when a prompt is longer than the text encoder reads, in revised_prompt and usage', async () => {
    const prompt = 'a cat on the table '.repeat(30).trim();
    const body = await postJson(generations, { prompt, size: '64x64', seed: 1, model: 'tiny-sd' }).then(json);
    expect(body.usage.prompt_tokens).toBe(75);
    expect(body.usage.prompt_tokens_dropped).toBeGreaterThan(0);
    expect(body.data[0].revised_prompt.length).toBeLessThan(prompt.length);
    expect(prompt.startsWith(body.data[0].revised_prompt)).toBe(true);
  });

  it('works with the official openai client (images.generate) pointed at Argus', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x' });
    const answer = await client.images.generate({ model: 'tiny-sd', prompt: 'a lighthouse at night', size: '64x64' as never, n: 2, seed: 9 } as never);
    expect(answer.data).toHaveLength(2);
    const first = await pixels(answer.data![0].b64_json!);
    expect(first).toMatchObject({ width: 64, height: 64, format: 'png' });
    expect((answer.usage as unknown as { seed: number }).seed).toBe(9);
    // Errors come back as the client's typed errors, with Argus's message.
    await expect(client.images.generate({ model: 'tiny-sd', prompt: 'x', response_format: 'url' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/url/) });
  });
});

describe('POST /v1/images/edits', () => {
  it('edits a multipart upload, as OpenAI takes it, keeping the input\'s size', async () => {
    const response = await postForm(edits, { image: new Blob([photo], { type: 'image/png' }), prompt: 'a blue bus', model: 'tiny-sd', seed: '5', strength: '0.6', steps: '2' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(await pixels(body.data[0].b64_json)).toMatchObject({ width: 128, height: 64, format: 'png' });
    // 2 steps at strength 0.6 run the last 2 of a 3-step schedule.
    expect(body.usage).toMatchObject({ seed: 5, steps: 2 });
    expect(body.usage.strength).toBeCloseTo(2 / 3, 5);
  });

  it('edits JSON base64 the same as multipart, deterministically', async () => {
    const fields = { prompt: 'a blue bus', model: 'tiny-sd', seed: 5, strength: 0.5, size: '64x64' };
    const viaJson = await postJson(edits, { ...fields, image: `data:image/png;base64,${photo.toString('base64')}` }).then(json);
    const viaForm = await postForm(edits, { image: new Blob([photo]), prompt: fields.prompt, model: 'tiny-sd', seed: '5', strength: '0.5', size: '64x64' }).then(json);
    expect(viaJson.data[0].b64_json).toBe(viaForm.data[0].b64_json);
    expect(await pixels(viaJson.data[0].b64_json)).toMatchObject({ width: 64, height: 64 });
    // The input matters: another image gives another result.
    const other = await sharp(image('zidane.jpg')).resize(64, 64).png().toBuffer();
    const fromOther = await postJson(edits, { ...fields, image: other.toString('base64') }).then(json);
    expect(fromOther.data[0].b64_json).not.toBe(viaJson.data[0].b64_json);
  });

  it('works with the official openai client (images.edit, a multipart upload)', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x' });
    const answer = await client.images.edit({ model: 'tiny-sd', image: await toFile(photo, 'photo.png', { type: 'image/png' }), prompt: 'a green bus', seed: 2 } as never);
    expect(await pixels(answer.data![0].b64_json!)).toMatchObject({ width: 128, height: 64, format: 'png' });
  });

  it('strength 0 gives the input back; higher strengths move further from it', async () => {
    const original = await pixels(photo.toString('base64'));
    const distance = async (strength: number) => {
      const body = await postJson(edits, { image: photo.toString('base64'), prompt: 'a bus', model: 'tiny-sd', seed: 11, strength, steps: 1 }).then(json);
      const edited = await pixels(body.data[0].b64_json);
      expect(edited).toMatchObject({ width: 128, height: 64 });
      let max = 0;
      let sum = 0;
      edited.data.forEach((v, i) => {
        const d = Math.abs(v - original.data[i]);
        max = Math.max(max, d);
        sum += d;
      });
      return { max, mean: sum / edited.data.length, body };
    };
    const kept = await distance(0);
    expect(kept.max).toBeLessThanOrEqual(1);
    expect(kept.body.usage.strength).toBe(0);
    const redrawn = await distance(1);
    expect(redrawn.mean).toBeGreaterThan(10);
  });
});

describe('bad image requests get a clear 4xx and the server keeps serving', () => {
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['size not a multiple of 8', { size: '100x100' }, 400, /multiples of 8/],
    ['size too large', { size: '2048x2048' }, 400, /from 64 to 1024/],
    ['size not WxH', { size: 'big' }, 400, /WIDTHxHEIGHT/],
    ['size the model cannot use', { size: '72x72' }, 400, /multiples of 64/],
    ['n = 0', { n: 0 }, 400, /n/],
    ['n = 5', { n: 5 }, 400, /n/],
    ['steps = 0', { steps: 0 }, 400, /steps/],
    ['steps too many', { steps: 500 }, 400, /steps/],
    ['response_format url', { response_format: 'url' }, 400, /url.*not supported/],
    ['output_format jpeg', { output_format: 'jpeg' }, 400, /are PNG/],
    ['negative prompt without guidance', { negative_prompt: 'x' }, 400, /guidance above 1/],
    ['strength without an image', { strength: 0.5 }, 400, /edits only/],
    ['unknown model', { model: 'dall-e-3' }, 404, /Unknown model 'dall-e-3'/],
  ];
  for (const [what, fields, status, message] of cases) {
    it(`generations: ${what}`, async () => {
      const response = await postJson(generations, { prompt: 'a cat', model: 'tiny-sd', size: '64x64', ...fields });
      expect(response.status).toBe(status);
      const body = await json(response);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.message).toMatch(message);
    });
  }

  it('generations: missing or empty prompt', async () => {
    for (const body of [{ model: 'tiny-sd' }, { model: 'tiny-sd', prompt: '' }]) {
      const response = await postJson(generations, body);
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toMatch(/prompt/);
    }
  });

  it('edits: strength outside [0, 1], a mask, no image, not an image', async () => {
    const base = { prompt: 'a cat', model: 'tiny-sd', image: photo.toString('base64') };
    for (const strength of [-0.1, 1.5]) {
      const response = await postJson(edits, { ...base, strength });
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toMatch(/strength/);
    }
    const masked = await postForm(edits, { image: new Blob([photo]), mask: new Blob([photo]), prompt: 'a cat', model: 'tiny-sd' });
    expect(masked.status).toBe(400);
    expect((await json(masked)).error.message).toMatch(/mask is not supported/);
    const noImage = await postJson(edits, { prompt: 'a cat', model: 'tiny-sd' });
    expect(noImage.status).toBe(400);
    expect((await json(noImage)).error.code).toBe('missing_image');
    const text = await postForm(edits, { image: new Blob([Buffer.from('not an image at all')]), prompt: 'a cat', model: 'tiny-sd' });
    expect(text.status).toBe(415);
  });

  it('a model folder that is no usable pipeline: 503 naming what is missing', async () => {
    const response = await postJson(generations, { prompt: 'a cat', model: 'no-unet', size: '64x64' });
    expect(response.status).toBe(503);
    expect((await json(response)).error.message).toMatch(/no-unet.*no unet\/model.onnx/);
  });

  it('still serves after all of them', async () => {
    const response = await postJson(generations, { prompt: 'still here', size: '64x64', model: 'tiny-sd', seed: 1 });
    expect(response.status).toBe(200);
  });
});

describe('the generate task on the native API', () => {
  it('runs as an async job with the same result as the synchronous route', async () => {
    const params = { width: 64, height: 64, seed: 77 };
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'generate', model: 'tiny-sd', text: 'a boat', params });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    });
    expect(done.status).toBe('succeeded');
    const sync = await postJson(generations, { prompt: 'a boat', model: 'tiny-sd', size: '64x64', seed: 77 }).then(json);
    expect(done.result.images[0].b64_json).toBe(sync.data[0].b64_json);
    expect(done.result).toMatchObject({ width: 64, height: 64, seed: 77, model: { alias: 'tiny-sd' } });
  });

  it('documents both routes in the OpenAPI document', async () => {
    const doc = await json(await fetch(`${server.url}/openapi.json`));
    expect(doc.paths['/v1/images/generations'].post.requestBody.content['application/json'].schema.required).toContain('prompt');
    const edit = doc.paths['/v1/images/edits'].post.requestBody.content;
    expect(edit['multipart/form-data'].schema.properties.image).toMatchObject({ type: 'string', format: 'binary' });
  });
});

describe('the sd-turbo catalog entry', () => {
  it('is listed with its non-commercial licence warning and answers 503 with a pull hint until pulled', async () => {
    const models = await json(await fetch(`${server.url}/v1/models`));
    const turbo = models.data.find((m: { id: string }) => m.id === 'sd-turbo');
    expect(turbo).toMatchObject({ task: 'generate', runtime: 'onnx', licence_kind: 'non-commercial', available: false });
    expect(turbo.licence_warning).toMatch(/non-commercial/);
    const response = await postJson(generations, { prompt: 'a cat', model: 'sd-turbo' });
    expect(response.status).toBe(503);
    expect((await json(response)).error.message).toMatch(/argus models pull sd-turbo/);
  });
});
