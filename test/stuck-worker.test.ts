import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  // One worker, so the request under test is certainly on the worker we freeze.
  server = await startServer({ inferenceTimeoutMs: 3_000, models: { yolov8n: { instances: 1 } } });
});

afterAll(async () => {
  await server?.close();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a stuck model worker', () => {
  it('fails its request with a clear 504, is killed and replaced; the next request is served', async () => {
    expect((await postImage(`${server.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    const [worker] = server.argus.workers!.workerStatus();
    // SIGSTOP: the process is alive but answers nothing, like a hung native call.
    process.kill(worker.pid!, 'SIGSTOP');
    const stuck = await postImage(`${server.url}/v1/detect`, image('bus.jpg'));
    expect(stuck.status).toBe(504);
    const body = await json(stuck);
    expect(body.error.code).toBe('timeout');
    expect(body.error.message).toMatch(/yolov8n.*inference.*3000 ms/);
    await eventually(async () => (alive(worker.pid!) ? undefined : true), 10_000);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const next = await postImage(`${server.url}/v1/detect`, image('bus.jpg'));
    expect(next.status).toBe(200);
    expect((await json(next)).detections.length).toBeGreaterThan(0);
    const [replacement] = server.argus.workers!.workerStatus();
    expect(replacement.pid).not.toBe(worker.pid);
  });
});
