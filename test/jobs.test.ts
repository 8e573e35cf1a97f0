import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

async function resultOf(id: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/results/${id}`);
  return { status: response.status, body: await json(response) };
}

describe('the original detection service API: POST /predict → GET /results/:id', () => {
  it('queues, answers 202 while pending, then 200 with detections in its own shape', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await postImage(`${server.url}/predict`, image('bus.jpg'));
      expect(response.status).toBe(202);
      const body = await json(response);
      expect(body).toEqual({ inference_id: expect.stringMatching(/^[0-9a-f-]{36}$/), message: 'Inference request sent.' });
      ids.push(body.inference_id);
    }
    // Six jobs on two workers: the last is still waiting when we ask.
    const early = await resultOf(ids[5]);
    expect(early.status).toBe(202);
    expect(early.body).toEqual({ inference_id: ids[5], status: expect.stringMatching(/^(pending|running)$/), message: 'Result not available yet. Try again later.' });

    for (const id of ids) {
      const done = await eventually(async () => {
        const r = await resultOf(id);
        return r.status === 200 ? r.body : undefined;
      });
      expect(done.inference_id).toBe(id);
      // Milliseconds of model time, as the original reported Ultralytics' speed['inference'].
      expect(done.inference_time).toBeGreaterThan(1);
      expect(done.inference_time).toBeLessThan(10_000);
      const detections = done.detections as Array<{ box: number[]; confidence: number; label: string }>;
      expect(detections.filter((d) => d.label === 'person')).toHaveLength(4);
      for (const d of detections) {
        expect(d.box).toHaveLength(4);
        expect(d.box.every(Number.isInteger)).toBe(true);
        expect(Object.keys(d).sort()).toEqual(['box', 'confidence', 'label']);
      }
    }
    // Uploads are deleted once their job has finished.
    await eventually(async () => (readdirSync(join(server.dataDir, 'uploads')).length === 0 ? true : undefined), 5_000);
  });

  it('reports a job that failed with its reason', async () => {
    // The header is intact, so submission accepts it; the pixels are missing, so decoding fails.
    const bus = image('bus.jpg');
    const response = await postImage(`${server.url}/predict`, bus.subarray(0, Math.floor(bus.length / 2)));
    expect(response.status).toBe(202);
    const { inference_id: id } = await json(response);
    const failed = await eventually(async () => {
      const r = await resultOf(id);
      return r.status !== 202 ? r : undefined;
    });
    expect(failed.status).toBe(422);
    expect(failed.body).toMatchObject({ inference_id: id, status: 'failed', error: expect.stringMatching(/could not be decoded/), error_code: 'invalid_image' });
  });
});

describe('native jobs: POST /v1/jobs → GET /v1/jobs/:id', () => {
  it('runs a JSON job with params and keeps the same result shape as /v1/detect', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'detect', image: image('bus.jpg').toString('base64'), params: { classes: ['bus'] } });
    expect(submitted.status).toBe(202);
    const job = await json(submitted);
    expect(submitted.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ task: 'detect', model: 'yolov8n', status: 'queued', attempts: 0 });

    const done = await eventually(async () => {
      const j = await json(await fetch(`${server.url}/v1/jobs/${job.id}`));
      return j.status === 'succeeded' ? j : undefined;
    });
    expect(done.attempts).toBe(1);
    expect(new Date(done.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(done.started_at).getTime());
    expect(done.result).toMatchObject({ id: job.id, model: { alias: 'yolov8n' }, width: 810, height: 1080 });
    expect(done.result.detections.map((d: { label: string }) => d.label)).toEqual(['bus']);
    expect(done.result.timings.queue_ms).toBeGreaterThanOrEqual(0);
  });

  it('accepts multipart with params as a JSON string, and rejects bad params at submit', async () => {
    const ok = await postImage(`${server.url}/v1/jobs`, image('zidane.jpg'), { task: 'detect', model: 'yolo11n', params: '{"conf": 0.5}' });
    expect(ok.status).toBe(202);
    expect((await json(ok)).model).toBe('yolo11n');
    const badJson = await postImage(`${server.url}/v1/jobs`, image('zidane.jpg'), { task: 'detect', params: '{conf' });
    expect(badJson.status).toBe(400);
    const badRange = await postImage(`${server.url}/v1/jobs`, image('zidane.jpg'), { task: 'detect', params: '{"conf": 7}' });
    expect(badRange.status).toBe(400);
    expect((await json(badRange)).error.code).toBe('invalid_params');
  });
});

describe('upload retention', () => {
  it('keeps uploads after the job when keepUploads is set', async () => {
    const keeping = await startServer({ keepUploads: true });
    try {
      const { inference_id: id } = await json(await postImage(`${keeping.url}/predict`, image('bus.jpg')));
      await eventually(async () => ((await fetch(`${keeping.url}/results/${id}`)).status === 200 ? true : undefined));
      expect(readdirSync(join(keeping.dataDir, 'uploads'))).toEqual([`${id}.jpeg`]);
    } finally {
      await keeping.close();
    }
  });
});
