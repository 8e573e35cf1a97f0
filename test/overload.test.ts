/**
 * Overload shedding (@fastify/under-pressure): when the API's event loop lags, requests get 503 +
 * Retry-After instead of queueing into collapse, while health checks keep answering. The server
 * runs in this process, so blocking this process's event loop is the overload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, startServer, type TestServer } from './helpers.js';
import { sample } from './prometheus.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ maxEventLoopDelayMs: 200 });
  // The check is armed two sample periods (2 s) after start.
  await new Promise((r) => setTimeout(r, 2_500));
});
afterAll(async () => {
  await server?.close();
});

function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* busy: the overload */ }
}

describe('under pressure', () => {
  it('sheds API requests with 503 + Retry-After, keeps /healthz up, and recovers', async () => {
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
    const shed = await eventually(async () => {
      blockEventLoop(1_200);
      const response = await fetch(`${server.url}/v1/models`);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      return response.status === 503 ? response : undefined;
    }, 30_000, 0);
    expect(shed.headers.get('retry-after')).toBe('5');
    expect((await json(shed)).error.code).toBe('overloaded');
    // Once the loop is responsive again, so is the API.
    await eventually(async () => ((await fetch(`${server.url}/v1/models`)).status === 200 ? true : undefined), 10_000, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(metrics, 'argus_limited_requests_total', { kind: 'pressure' })).toBeGreaterThanOrEqual(1);
  });
});
