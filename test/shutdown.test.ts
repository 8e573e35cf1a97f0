/**
 * Graceful shutdown under load: SIGTERM while sync requests and async jobs are in flight. Every
 * request answered 2xx carries its whole result, every accepted job completes (after a restart on
 * the same data directory if it was handed back), and the process exits 0.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, spawnServer, tempDir } from './helpers.js';

const dataDir = tempDir();

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SIGTERM under load', () => {
  it('loses no answered request and no accepted job, and exits 0', async () => {
    const server = await spawnServer({ ARGUS_DATA_DIR: dataDir });
    const bus = image('bus.jpg');
    // Warm the model so the load below is inference, not loading.
    expect((await postImage(`${server.url}/v1/detect`, bus)).status).toBe(200);

    const accepted: string[] = [];
    const submitJob = async () => {
      const form = new FormData();
      form.append('task', 'detect');
      form.append('image', new Blob([bus]), 'bus.jpg');
      const response = await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: form }).catch(() => undefined);
      if (response?.status === 202) accepted.push((await json(response)).id);
    };
    const syncOutcomes: Array<{ status: number; persons?: number } | 'refused'> = [];
    const syncRequest = async () => {
      try {
        const response = await postImage(`${server.url}/v1/detect`, bus);
        const text = await response.text();
        syncOutcomes.push({
          status: response.status,
          persons: response.ok ? JSON.parse(text).detections.filter((d: { label: string }) => d.label === 'person').length : undefined,
        });
      } catch {
        syncOutcomes.push('refused'); // connection refused or closed before an answer: never a 2xx
      }
    };

    for (let i = 0; i < 10; i++) await submitJob();
    const load = [
      ...Array.from({ length: 12 }, () => syncRequest()),
      ...Array.from({ length: 10 }, () => submitJob()),
    ];
    // Terminate once the load is under way: some answered, most still in flight.
    await eventually(async () => (syncOutcomes.length >= 2 ? true : undefined), 60_000, 20);
    server.child.kill('SIGTERM');
    const terminatedAt = Date.now();
    await Promise.all(load);
    const code = await server.exited;
    expect(code).toBe(0);
    // Bounded: in-flight work finishes, then the sockets close with their answers. (Fastify's
    // 72 s keep-alive once held the exit up that long after the last answer.)
    expect(Date.now() - terminatedAt).toBeLessThan(30_000);
    expect(server.output()).toMatch(/shutting down/);

    for (const outcome of syncOutcomes) {
      if (outcome === 'refused') continue;
      if (outcome.status >= 200 && outcome.status < 300) expect(outcome.persons).toBe(4);
      else expect(outcome.status).toBe(503);
    }
    expect(syncOutcomes.filter((o) => o !== 'refused' && o.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(accepted.length).toBeGreaterThanOrEqual(10);

    // Jobs handed back to the queue finish after a restart on the same data directory.
    const again = await spawnServer({ ARGUS_DATA_DIR: dataDir });
    try {
      for (const id of accepted) {
        const job = await eventually(async () => {
          const body = await json(await fetch(`${again.url}/v1/jobs/${id}`));
          return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
        }, 120_000);
        expect({ id, status: job.status }).toEqual({ id, status: 'succeeded' });
        expect(job.result.detections.filter((d: { label: string }) => d.label === 'person').length).toBe(4);
      }
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  }, 300_000);
});
