import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  // One worker, so the request under test is certainly on the worker we kill.
  server = await startServer({ models: { yolov8n: { instances: 1 } } });
});

afterAll(async () => {
  await server?.close();
});

describe('a model worker killed mid-request', () => {
  it('costs that request one retry on a fresh worker; the API never goes down', async () => {
    const warm = await postImage(`${server.url}/v1/detect`, image('bus.jpg'));
    expect(warm.status).toBe(200);
    const [worker] = server.argus.workers!.workerStatus();
    expect(worker.pid).toBeGreaterThan(0);

    // Several requests in flight; kill the worker while it is busy with the first. It is frozen
    // first, so the request it took is certainly unanswered when the kill lands, however fast or
    // slow the machine is.
    process.kill(worker.pid!, 'SIGSTOP');
    const inFlight = Array.from({ length: 3 }, () => postImage(`${server.url}/v1/detect`, image('zidane.jpg')));
    await eventually(async () => (server.argus.workers!.workerStatus()[0]?.state === 'busy' ? true : undefined), 30_000, 2);
    process.kill(worker.pid!, 'SIGKILL');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    const responses = await Promise.all(inFlight);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect((await json(response)).detections.length).toBeGreaterThan(0);
    }
    const [replacement] = server.argus.workers!.workerStatus();
    expect(replacement.pid).not.toBe(worker.pid);
    const next = await postImage(`${server.url}/v1/detect`, image('bus.jpg'));
    expect(next.status).toBe(200);
  });
});
