/**
 * GET /metrics after a known workload: the counts must be exactly what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, startServer, type TestServer } from './helpers.js';
import { sample } from './prometheus.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('GET /metrics', () => {
  it('counts a known workload exactly', async () => {
    const bus = image('bus.jpg');
    for (let i = 0; i < 3; i++) {
      const response = await postImage(`${server.url}/v1/detect`, bus);
      expect(response.status, await response.clone().text()).toBe(200);
    }
    expect((await postImage(`${server.url}/v1/detect`, Buffer.from('not an image at all'))).status).toBe(415);
    expect((await postImage(`${server.url}/v1/detect`, bus, { model: 'no-such-model' })).status).toBe(404);
    const form = new FormData();
    form.append('task', 'detect');
    form.append('image', new Blob([bus]), 'bus.jpg');
    const { id } = await json(await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: form }));
    await eventually(async () => ((await json(await fetch(`${server.url}/v1/jobs/${id}`))).status === 'succeeded' ? true : undefined));
    expect((await fetch(`${server.url}/v1/models/yolov8n/load`, { method: 'POST' })).status).toBe(200);

    const text = await scrape();
    expect(sample(text, 'argus_http_requests_total', { method: 'POST', route: '/v1/detect', status: '200' })).toBe(3);
    expect(sample(text, 'argus_http_requests_total', { method: 'POST', route: '/v1/detect', status: '415' })).toBe(1);
    expect(sample(text, 'argus_http_requests_total', { method: 'POST', route: '/v1/detect', status: '404' })).toBe(1);
    expect(sample(text, 'argus_http_request_duration_seconds_count', { method: 'POST', route: '/v1/detect' })).toBe(5);
    expect(sample(text, 'argus_rejected_requests_total', { code: 'unsupported_media_type' })).toBe(1);
    expect(sample(text, 'argus_rejected_requests_total', { code: 'model_not_found' })).toBe(1);
    // 3 sync requests + 1 async job ran the model.
    const run = { task: 'detect', model: 'yolov8n' };
    expect(sample(text, 'argus_inferences_total', { ...run, outcome: 'ok' })).toBe(4);
    expect(sample(text, 'argus_inference_duration_seconds_count', run)).toBe(4);
    for (const stage of ['decode', 'preprocess', 'inference', 'postprocess', 'queue']) {
      expect(sample(text, 'argus_stage_duration_seconds_count', { ...run, stage }), stage).toBe(4);
    }
    expect(sample(text, 'argus_stage_duration_seconds_sum', { ...run, stage: 'inference' })).toBeGreaterThan(0);
    expect(sample(text, 'argus_jobs', { status: 'succeeded' })).toBe(1);
    expect(sample(text, 'argus_jobs', { status: 'queued' })).toBe(0);
    expect(sample(text, 'argus_model_loads', { model: 'yolov8n' })).toBeGreaterThanOrEqual(1);
    // Every worker spawn is a load (1 or 2 workers, by the cores the machine has).
    const loads = sample(text, 'argus_model_loads', { model: 'yolov8n' })!;
    expect(sample(text, 'argus_model_load_duration_seconds_count', { model: 'yolov8n' })).toBe(loads);
    expect(sample(text, 'argus_workers', { model: 'yolov8n' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'argus_worker_rss_bytes', { model: 'yolov8n' })).toBeGreaterThan(10 * 1048576);
    expect(sample(text, 'argus_model_queue_depth', { model: 'yolov8n' })).toBe(0);
    expect(sample(text, 'argus_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE argus_batch_size histogram');

    expect((await fetch(`${server.url}/v1/system/evict/yolov8n?force=true`, { method: 'POST' })).status).toBe(200);
    const after = await scrape();
    expect(sample(after, 'argus_model_unloads_total', { model: 'yolov8n', reason: 'request' })).toBe(loads);
    // The first scrape itself is counted under its route pattern.
    expect(sample(after, 'argus_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
  });
});
