import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, IMAGES_DIR, json, MODEL_ROOTS, postImage, postJson, startServer, type TestServer } from './helpers.js';
import { cosine, FIXTURES, recognitionModelsDir, solidPng, type RecognitionModels } from './recognition-models.js';

const resnetReference = JSON.parse(readFileSync(join(FIXTURES, 'resnet18-reference.json'), 'utf8')) as { images: Array<{ file: string; embedding: number[] }> };
const clipReference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-clip.reference.json'), 'utf8')) as { prompts: string[]; image_embeds: number[]; text_embeds: number[][] };
const tinyClipImage = readFileSync(join(FIXTURES, 'tiny-clip.png'));
const norm = (v: number[]) => Math.hypot(...v);

let models: RecognitionModels;
let server: TestServer;

beforeAll(async () => {
  models = recognitionModelsDir();
  server = await startServer({ modelsDir: models.dir, modelRoots: MODEL_ROOTS });
});

afterAll(async () => {
  await server?.close();
  models?.remove();
});

const embed = (bytes: Uint8Array, fields: Record<string, string> = {}) => postImage(`${server.url}/v1/embed`, bytes, fields);

describe('POST /v1/embed with resnet18-embed (ONNX) against the PyTorch peer', () => {
  it('returns the peer\'s 512-d vector for every reference image (cosine ≥ 0.999; measured ≥ 0.99999)', async () => {
    expect(resnetReference.images.length).toBeGreaterThanOrEqual(5);
    for (const { file, embedding } of resnetReference.images) {
      const response = await embed(readFileSync(join(IMAGES_DIR, file)));
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body).toMatchObject({ dim: 512, normalized: true, stored: false, model: { alias: 'resnet18-embed' } });
      expect(body.embedding).toHaveLength(512);
      expect(norm(body.embedding)).toBeCloseTo(1, 5);
      const similarity = cosine(body.embedding, embedding);
      expect(similarity, file).toBeGreaterThanOrEqual(0.999);
      // Tighter than the target on purpose: the pipeline is pixel-exact with torchvision, and a
      // wrong crop offset (bus.jpg, 0.9997) or resize kernel (0.99996) would already show here.
      expect(similarity, file).toBeGreaterThanOrEqual(0.99999);
    }
  });

  it('leaves the vector unnormalised with normalize: false, in the same direction', async () => {
    const bytes = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));
    const raw = await json(await postJson(`${server.url}/v1/embed`, { image: bytes.toString('base64'), normalize: false }));
    const unit = await json(await embed(bytes));
    expect(raw.normalized).toBe(false);
    expect(Math.abs(norm(raw.embedding) - 1)).toBeGreaterThan(0.01);
    expect(cosine(raw.embedding, unit.embedding)).toBeGreaterThan(0.999999);
  });
});

describe('embeddings through transformers.js', () => {
  it('CLIP: image and text embeddings in one space, as PyTorch computes them', async () => {
    const image = await json(await embed(tinyClipImage, { model: 'tiny-clip-embed' }));
    expect(image).toMatchObject({ dim: 8, normalized: true, model: { alias: 'tiny-clip-embed' } });
    expect(cosine(image.embedding, clipReference.image_embeds)).toBeGreaterThan(0.99999);
    for (const [i, prompt] of clipReference.prompts.entries()) {
      const text = await json(await postJson(`${server.url}/v1/embed`, { text: prompt, model: 'tiny-clip-embed' }));
      expect(text.dim).toBe(8);
      expect(cosine(text.embedding, clipReference.text_embeds[i]), prompt).toBeGreaterThan(0.99999);
    }
  });

  it('an image feature extractor (pooler_output) gives the direction of its pooled features', async () => {
    // The stand-in's pooled output is the mean of each channel after (x/255 − 0.5)/0.5.
    const body = await json(await embed(await solidPng(255, 0, 0), { model: 'tiny-vit-embed' }));
    expect(body.dim).toBe(3);
    const s = 1 / Math.sqrt(3);
    body.embedding.forEach((v: number, i: number) => expect(v).toBeCloseTo([s, -s, -s][i], 4));
  });
});

describe('bad embedding requests get a clear 4xx and the server keeps serving', () => {
  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect((await json(response)).error.code).toBe(code);
  };

  it('text to an image-only model, both image and text, or neither', async () => {
    await expectError(await postJson(`${server.url}/v1/embed`, { text: 'a bus' }), 400, 'text_not_supported');
    await expectError(await embed(tinyClipImage, { text: 'a bus', model: 'tiny-clip-embed' }), 400, 'bad_request');
    await expectError(await postJson(`${server.url}/v1/embed`, { model: 'resnet18-embed' }), 400, 'missing_image');
  });

  it('a wrong field, metadata without store, store with text, and metadata that is not JSON', async () => {
    await expectError(await embed(tinyClipImage, { normalise: 'false' }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/embed`, { image: tinyClipImage.toString('base64'), metadata: { a: 1 } }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/embed`, { text: 'a cat', model: 'tiny-clip-embed', store: true }), 400, 'invalid_params');
    await expectError(await embed(tinyClipImage, { store: 'true', metadata: '{not json' }), 400, 'invalid_params');
    await expectError(await embed(tinyClipImage, { model: 'squeezenet' }), 400, 'model_task_mismatch');
    expect((await embed(tinyClipImage)).status).toBe(200);
  });
});

describe('embeddings as async jobs', () => {
  it('embeds a text through /v1/jobs as the sync route does', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'embed', model: 'tiny-clip-embed', text: clipReference.prompts[0] });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const body = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    });
    expect(job.status).toBe('succeeded');
    expect(cosine(job.result.embedding, clipReference.text_embeds[0])).toBeGreaterThan(0.99999);
    const refused = await postJson(`${server.url}/v1/jobs`, { task: 'embed', text: 'a bus' });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe('text_not_supported');
  });
});
