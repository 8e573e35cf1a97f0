import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, MODEL_ROOTS, postImage, postJson, startServer, type TestServer } from './helpers.js';
import { FIXTURES, recognitionModelsDir, softmax, solidPng, type RecognitionModels } from './recognition-models.js';

interface Prediction {
  label: string;
  class_id: number;
  confidence: number;
}

const reference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-clip.reference.json'), 'utf8')) as { prompts: string[]; logits_per_image: number[] };
const tinyClipImage = readFileSync(join(FIXTURES, 'tiny-clip.png'));

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

const classify = (bytes: Uint8Array, fields: Record<string, string> = {}) => postImage(`${server.url}/v1/classify`, bytes, fields);

describe('POST /v1/classify with squeezenet (ONNX, float16 input and output)', () => {
  it('finds a minibus in bus.jpg, with the top 5 by default, best first', async () => {
    const response = await classify(image('bus.jpg'));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.model.alias).toBe('squeezenet');
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const key of ['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'queue_ms', 'total_ms']) expect(body.timings[key]).toBeGreaterThanOrEqual(0);
    const predictions: Prediction[] = body.predictions;
    expect(predictions).toHaveLength(5);
    // Labels come from imagenet_labels.txt with each line's index dropped.
    expect(predictions[0]).toMatchObject({ label: 'minibus', class_id: 654 });
    expect(predictions[0].confidence).toBeGreaterThan(0.25);
    for (let i = 1; i < predictions.length; i++) expect(predictions[i].confidence).toBeLessThanOrEqual(predictions[i - 1].confidence);
    // The model outputs probabilities (manifest: output.format probabilities): no second softmax.
    expect(predictions.reduce((sum, p) => sum + p.confidence, 0)).toBeLessThanOrEqual(1.001);
  });

  it('puts a cat class in the top 5 for chelsea.png, and honours top_k', async () => {
    const body = await json(await classify(image('misc/chelsea.png'), { top_k: '3' }));
    expect(body.predictions).toHaveLength(3);
    const cats = body.predictions.filter((p: Prediction) => p.class_id >= 281 && p.class_id <= 285);
    expect(cats.length).toBeGreaterThan(0);
    expect(body.predictions[0].label).toMatch(/cat/);
  });

  it('gives the same answer for JSON base64 as for multipart', async () => {
    const bytes = image('misc/coffee.png');
    const multipart = await json(await classify(bytes));
    const base64 = await json(await postJson(`${server.url}/v1/classify`, { image: bytes.toString('base64'), model: 'squeezenet' }));
    expect(base64.predictions).toEqual(multipart.predictions);
  });
});

describe('Hugging Face classifiers through transformers.js (tiny ViT-layout stand-in)', () => {
  it('labels a red image red and a blue one blue, with ids from config.json', async () => {
    const red = await json(await classify(await solidPng(230, 20, 20), { model: 'tiny-vit' }));
    expect(red.model.alias).toBe('tiny-vit');
    expect(red.predictions[0]).toMatchObject({ label: 'red', class_id: 0 });
    expect(red.predictions[0].confidence).toBeGreaterThan(0.99);
    expect(red.predictions).toHaveLength(3);
    const blue = await json(await classify(await solidPng(10, 30, 240), { model: 'tiny-vit', top_k: '1' }));
    expect(blue.predictions).toEqual([expect.objectContaining({ label: 'blue', class_id: 2 })]);
  });
});

describe('zero-shot classification with a CLIP-architecture model (tiny, generated)', () => {
  it('scores the labels as PyTorch does: softmax of logits_per_image, labels kept as sent', async () => {
    const expected = softmax(reference.logits_per_image);
    const response = await postJson(`${server.url}/v1/classify`, { image: tinyClipImage.toString('base64'), model: 'tiny-clip', labels: reference.prompts, top_k: 10 });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.predictions).toHaveLength(reference.prompts.length);
    for (const p of body.predictions as Prediction[]) {
      expect(p.label).toBe(reference.prompts[p.class_id]);
      expect(p.confidence).toBeCloseTo(expected[p.class_id], 4);
    }
    expect(body.predictions.map((p: Prediction) => p.class_id)).toEqual(expected.map((_, i) => i).sort((a, b) => expected[b] - expected[a]));
  });

  it('takes labels as repeated multipart fields or one JSON array, and applies top_k', async () => {
    const repeated = new FormData();
    repeated.append('image', new Blob([tinyClipImage]), 'x.png');
    repeated.append('model', 'tiny-clip');
    for (const label of reference.prompts) repeated.append('labels', label);
    repeated.append('top_k', '2');
    const a = await json(await fetch(`${server.url}/v1/classify`, { method: 'POST', body: repeated }));
    const b = await json(await classify(tinyClipImage, { model: 'tiny-clip', labels: JSON.stringify(reference.prompts), top_k: '2' }));
    expect(a.predictions).toHaveLength(2);
    expect(b.predictions).toEqual(a.predictions);
  });
});

describe('bad classification requests get a clear 4xx and the server keeps serving', () => {
  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    const body = await json(response);
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    return body.error.message as string;
  };

  it('labels sent to a classifier that is not zero-shot', async () => {
    const message = await expectError(await classify(image('bus.jpg'), { labels: 'a bus,a car' }), 400, 'labels_not_supported');
    expect(message).toContain('squeezenet');
  });

  it('a CLIP model without labels, one label, and repeated labels', async () => {
    await expectError(await classify(tinyClipImage, { model: 'tiny-clip' }), 400, 'labels_required');
    await expectError(await postJson(`${server.url}/v1/classify`, { image: tinyClipImage.toString('base64'), model: 'tiny-clip', labels: ['only one'] }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/classify`, { image: tinyClipImage.toString('base64'), model: 'tiny-clip', labels: ['a cat', 'a cat'] }), 400, 'invalid_params');
  });

  it('top_k of 0, negative or too large', async () => {
    await expectError(await classify(image('bus.jpg'), { top_k: '0' }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/classify`, { image: image('bus.jpg').toString('base64'), top_k: -2 }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/classify`, { image: image('bus.jpg').toString('base64'), top_k: 5000 }), 400, 'invalid_params');
  });

  it('an unknown field, a missing image and a model of another task', async () => {
    await expectError(await classify(image('bus.jpg'), { topk: '3' }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/classify`, { model: 'squeezenet' }), 400, 'missing_image');
    await expectError(await classify(image('bus.jpg'), { model: 'resnet18-embed' }), 400, 'model_task_mismatch');
    await expectError(await classify(Buffer.from('plain text, not an image')), 415, 'unsupported_media_type');
    // Still serving.
    expect((await classify(image('bus.jpg'), { top_k: '1' })).status).toBe(200);
  });
});

describe('classification as an async job', () => {
  it('runs through /v1/jobs with the same result as the sync route, labels included', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'classify', model: 'tiny-clip', image: tinyClipImage.toString('base64'), params: { labels: reference.prompts, top_k: 2 } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const body = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    });
    expect(job.status).toBe('succeeded');
    expect(job.result.id).toBe(id);
    const sync = await json(await classify(tinyClipImage, { model: 'tiny-clip', labels: JSON.stringify(reference.prompts), top_k: '2' }));
    expect(job.result.predictions).toEqual(sync.predictions);
    // Refused at submit time, like the sync route: nothing that cannot run is queued.
    const refused = await postJson(`${server.url}/v1/jobs`, { task: 'classify', model: 'squeezenet', image: tinyClipImage.toString('base64'), params: { labels: ['a', 'b'] } });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe('labels_not_supported');
  });
});
