/**
 * Zero-download default: with nothing in the models directory, detection is served by the
 * CenterNet that ships inside the @vladmandic/human npm package (tfjs on its wasm backend).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { image, json, postImage, postJson, startServer, tempDir, type TestServer } from './helpers.js';

interface Detection {
  label: string;
  class_id: number;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

const byConfidence = (detections: Detection[]) => [...detections].sort((a, b) => b.confidence - a.confidence);

describe('with an empty models directory', () => {
  const emptyModels = tempDir('argus-emptymodels-');
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ modelsDir: emptyModels });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(emptyModels, { recursive: true, force: true });
  });

  it('finds the astronaut as a person with centernet, in the usual response shape', async () => {
    const response = await postImage(`${server.url}/v1/detect`, image('misc/astronaut.png'), {}, 'image', 'astronaut.png');
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ width: 512, height: 512, model: { alias: 'centernet' } });
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const key of ['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'queue_ms', 'total_ms']) {
      expect(body.timings[key], key).toBeGreaterThanOrEqual(0);
    }
    const [top] = byConfidence(body.detections);
    expect(top).toEqual({ label: 'person', class_id: 0, confidence: expect.any(Number), box: { x1: expect.any(Number), y1: expect.any(Number), x2: expect.any(Number), y2: expect.any(Number) } });
    expect(top.confidence).toBeGreaterThan(0.5);
    // Measured: [8, 9, 369, 512]; she fills the left two thirds of the frame, head to bottom edge.
    expect(top.box.x1).toBeLessThan(40);
    expect(top.box.y1).toBeLessThan(40);
    expect(top.box.x2).toBeGreaterThan(330);
    expect(top.box.x2).toBeLessThan(420);
    expect(top.box.y2).toBeGreaterThan(490);
  });

  it('finds the motorcycle, with its box in original pixels of a non-square image', async () => {
    const body = await json(await postImage(`${server.url}/v1/detect`, image('misc/motorcycle_left.png'), {}, 'image', 'motorcycle.png'));
    expect(body).toMatchObject({ width: 741, height: 500, model: { alias: 'centernet' } });
    const [top] = byConfidence(body.detections);
    expect(top).toMatchObject({ label: 'motorcycle', class_id: 3 });
    expect(top.confidence).toBeGreaterThan(0.4);
    // Measured: [117, 45, 683, 454]. Stretching to 512² and back keeps each axis in its own scale.
    expect(top.box.x1).toBeGreaterThan(80);
    expect(top.box.x1).toBeLessThan(160);
    expect(top.box.x2).toBeGreaterThan(640);
    expect(top.box.x2).toBeLessThanOrEqual(741);
    expect(top.box.y1).toBeLessThan(90);
    expect(top.box.y2).toBeGreaterThan(410);
    expect(top.box.y2).toBeLessThanOrEqual(500);
  });

  it('honours conf, max_det and classes', async () => {
    const bytes = image('bus.jpg');
    const all: Detection[] = (await json(await postImage(`${server.url}/v1/detect`, bytes))).detections;
    expect(all.filter((d) => d.label === 'person').length).toBeGreaterThanOrEqual(3);
    expect(all.some((d) => d.label === 'bus')).toBe(true);

    const loose: Detection[] = (await json(await postJson(`${server.url}/v1/detect`, { image: bytes.toString('base64'), conf: 0.05 }))).detections;
    expect(loose.length).toBeGreaterThan(all.length);
    expect(loose.every((d) => d.confidence > 0.05)).toBe(true);

    const strict: Detection[] = (await json(await postImage(`${server.url}/v1/detect`, bytes, { conf: '0.6' }))).detections;
    expect(strict.length).toBeGreaterThan(0);
    expect(strict.length).toBeLessThan(all.length);
    expect(strict.every((d) => d.confidence > 0.6)).toBe(true);

    const one = await json(await postJson(`${server.url}/v1/detect`, { image: bytes.toString('base64'), max_det: 1 }));
    expect(one.detections).toEqual([byConfidence(all)[0]]);

    const busOnly: Detection[] = (await json(await postImage(`${server.url}/v1/detect`, bytes, { classes: 'bus' }))).detections;
    expect(busOnly.map((d) => d.label)).toEqual(['bus']);
    const byId: Detection[] = (await json(await postJson(`${server.url}/v1/detect`, { image: bytes.toString('base64'), classes: [0] }))).detections;
    expect(byId.length).toBeGreaterThanOrEqual(3);
    expect(new Set(byId.map((d) => d.label))).toEqual(new Set(['person']));
  });

  it('reports ok in /healthz, with a notice that centernet answers for the missing yolov8n, and a wasm worker', async () => {
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.status).toBe('ok');
    expect(health.problems).toEqual([]);
    const notice = health.notices[0];
    expect(notice).toContain('ARGUS_DEFAULT_DETECT_MODEL=yolov8n');
    expect(notice).toContain('yolov8n_int8.onnx');
    expect(notice).toContain('answered by centernet');
    expect(health.models.find((m: { alias: string }) => m.alias === 'centernet')).toMatchObject({ task: 'detect', available: true, state: 'ready' });
    expect(health.workers.filter((w: { model: string }) => w.model === 'centernet').map((w: { provider: string }) => w.provider)).toContain('wasm');
  });
});

describe('choosing the default detector', () => {
  let server: TestServer | undefined;

  afterAll(async () => {
    await server?.close();
  });

  it('is read from ARGUS_DEFAULT_DETECT_MODEL', () => {
    expect(loadConfig({ env: { ARGUS_DEFAULT_DETECT_MODEL: 'centernet' } }).defaultDetectModel).toBe('centernet');
    expect(loadConfig({ env: {} }).defaultDetectModel).toBe('yolov8n');
  });

  it('answers with the configured model when it is installed, even when yolov8n is too', async () => {
    server = await startServer({ defaultDetectModel: 'centernet' });
    const body = await json(await postImage(`${server.url}/v1/detect`, image('misc/motorcycle_left.png')));
    expect(body.model.alias).toBe('centernet');
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.status).toBe('ok');
    expect(health.problems).toEqual([]);
    // Naming a model still wins over the default.
    const named = await json(await postImage(`${server.url}/v1/detect`, image('bus.jpg'), { model: 'yolov8n' }));
    expect(named.model.alias).toBe('yolov8n');
  });
});
