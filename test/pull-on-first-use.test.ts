import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, MODELS_DIR, postImage, startServer, tempDir } from './helpers.js';
import { startModelServer, type ModelServer } from './model-server.js';

const weights = readFileSync(join(MODELS_DIR, 'detect/yolov8n_int8.onnx'));
let files: ModelServer;
const modelsDirs: string[] = [];

beforeAll(async () => {
  files = await startModelServer({ '/yolov8n.onnx': { body: weights } });
});

afterAll(async () => {
  await files?.close();
  for (const dir of modelsDirs) rmSync(dir, { recursive: true, force: true });
});

/** A models directory with one user manifest for a remote (url) copy of yolov8n. */
function modelsDirWithRemoteModel(): string {
  const dir = tempDir('argus-remote-models-');
  modelsDirs.push(dir);
  writeFileSync(join(dir, 'remote-yolo.json'), JSON.stringify({
    alias: 'remote-yolo',
    task: 'detect',
    runtime: 'onnx',
    source: { type: 'url', url: `${files.url}/yolov8n.onnx`, sha256: createHash('sha256').update(weights).digest('hex'), path: 'remote/yolov8n.onnx' },
    licence: 'AGPL-3.0',
    input: { width: 640, height: 640 },
    labels: { source: 'metadata', fallback: 'coco80' },
    output: { format: 'yolo' },
  }));
  return dir;
}

describe('remote models are fetched only when the user allows it', () => {
  it('without allowPulls, a request gets 503 saying how to pull, and nothing is downloaded', async () => {
    const server = await startServer({ modelsDir: modelsDirWithRemoteModel() });
    try {
      const before = files.requests.length;
      const response = await postImage(`${server.url}/v1/detect`, image('bus.jpg'), { model: 'remote-yolo' });
      expect(response.status).toBe(503);
      const { error } = await json(response);
      expect(error.message).toContain('argus models pull remote-yolo');
      expect(error.message).toContain('ARGUS_ALLOW_PULLS');
      expect(files.requests.length).toBe(before);
    } finally {
      await server.close();
    }
  });

  it('with allowPulls, the first request pulls the model, checks its sha256 and answers', async () => {
    const dir = modelsDirWithRemoteModel();
    const server = await startServer({ modelsDir: dir, allowPulls: true });
    try {
      const response = await postImage(`${server.url}/v1/detect`, image('bus.jpg'), { model: 'remote-yolo' });
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.model).toEqual({ alias: 'remote-yolo', sha256: createHash('sha256').update(weights).digest('hex') });
      expect(body.detections.filter((d: { label: string }) => d.label === 'person')).toHaveLength(4);
      expect(readFileSync(join(dir, 'remote/yolov8n.onnx')).equals(weights)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
