import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

let server: TestServer;

/**
 * A composite task registered the way scene analysis and the analyze presets are: it runs
 * detection through the service and derives its own answer.
 */
beforeAll(async () => {
  server = await startServer();
  server.argus.service.registerComposite({
    name: 'count-people',
    input: 'image',
    params: Type.Object({ min_confidence: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }) }, { additionalProperties: false }),
    async run(call) {
      const detected = await call.run({ task: 'detect', image: call.image, params: { conf: (call.params as { min_confidence: number }).min_confidence } });
      const people = (detected.detections as Array<{ label: string }>).filter((d) => d.label === 'person').length;
      return { people, width: call.imageInfo?.width, model: detected.model, timings: detected.timings };
    },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('composite tasks run on the same path as worker tasks', () => {
  it('as an async job, with its params validated at submit', async () => {
    const submitted = await postImage(`${server.url}/v1/jobs`, image('bus.jpg'), { task: 'count-people', params: '{"min_confidence": 0.8}' });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return job.status === 'succeeded' ? job : undefined;
    });
    expect(done.result).toMatchObject({ id, people: 3, width: 810, model: { alias: 'yolov8n' } });
    expect(done.result.timings.total_ms).toBeGreaterThan(0);

    const bad = await postImage(`${server.url}/v1/jobs`, image('bus.jpg'), { task: 'count-people', params: '{"min_confidence": 3}' });
    expect(bad.status).toBe(400);
  });

  it('refuses inputs the task does not take', async () => {
    const noImage = await postJson(`${server.url}/v1/jobs`, { task: 'count-people', text: 'two people' });
    expect(noImage.status).toBe(400);
    expect((await json(noImage)).error.code).toBe('bad_request');
    const textToDetect = await postJson(`${server.url}/v1/jobs`, { task: 'detect', image: image('bus.jpg').toString('base64'), text: 'hello' });
    expect(textToDetect.status).toBe(400);
    expect((await json(textToDetect)).error.message).toMatch(/takes an image, not text/);
  });
});
