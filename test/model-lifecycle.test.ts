import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/load.js';
import { eventually, image, json, postImage, spawnServer, startServer, tempDir, type ChildServer, type TestServer } from './helpers.js';

const started: Array<TestServer | ChildServer> = [];

afterEach(async () => {
  for (const s of started.splice(0)) {
    if ('close' in s) await s.close();
    else {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  }
});

async function server(overrides: Partial<Config>): Promise<TestServer> {
  const s = await startServer(overrides);
  started.push(s);
  return s;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resident memory of a process and all its descendants, from /proc, in bytes. */
function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      total += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    } catch {
      continue;
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

const status = async (url: string) => json(await fetch(`${url}/v1/system/status`));
const loadedModels = async (url: string) => (await status(url)).models.filter((m: { workers: number }) => m.workers > 0).map((m: { alias: string }) => m.alias);

describe('eviction returns memory to the machine', () => {
  it('POST /v1/system/evict stops the worker, and Argus’s total RSS drops by at least 80% of it', async () => {
    const argus = await spawnServer({ ARGUS_DATA_DIR: tempDir() });
    started.push(argus);
    expect((await postImage(`${argus.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    const [worker] = (await status(argus.url)).workers;
    expect(worker).toMatchObject({ model: 'yolov8n', busy: false, provider: 'cpu' });
    expect(worker.rss_mb).toBeGreaterThan(30);
    const before = treeRss(argus.child.pid!);

    const evicted = await fetch(`${argus.url}/v1/system/evict/yolov8n`, { method: 'POST' });
    expect(evicted.status).toBe(200);
    expect(await json(evicted)).toMatchObject({ alias: 'yolov8n', stopped: 1 });
    expect(alive(worker.pid)).toBe(false);
    const after = treeRss(argus.child.pid!);
    expect(before - after).toBeGreaterThanOrEqual(0.8 * worker.rss_mb * 1048576);

    const models = await json(await fetch(`${argus.url}/v1/models`));
    expect(models.data.find((m: { id: string }) => m.id === 'yolov8n')).toMatchObject({ loaded: false, state: 'unloaded', workers: 0 });
    // Still serves: the next request loads it again.
    expect((await postImage(`${argus.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    // The AGPL warning was logged once, not once per load.
    const warnings = argus.output().split('\n').filter((l) => l.includes('"licence":"AGPL-3.0"') && l.includes('"level":40'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]).msg).toMatch(/yolov8n: .*AGPL/);
  });

  it('refuses to evict a busy model (409) unless forced', async () => {
    const s = await server({ models: { yolov8n: { instances: 1 } } });
    await postImage(`${s.url}/v1/detect`, image('bus.jpg'));
    const inFlight = Array.from({ length: 4 }, () => postImage(`${s.url}/v1/detect`, image('zidane.jpg')));
    await eventually(async () => ((await status(s.url)).workers[0]?.busy ? true : undefined), 5_000, 5);
    const refused = await fetch(`${s.url}/v1/system/evict/yolov8n`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.code).toBe('conflict');
    for (const response of await Promise.all(inFlight)) expect(response.status).toBe(200);
    const unknown = await fetch(`${s.url}/v1/system/evict/nope`, { method: 'POST' });
    expect(unknown.status).toBe(404);
  });
});

describe('lazy load, idle TTL and explicit load', () => {
  it('unloads a model after its idle TTL, and its worker exits', async () => {
    const s = await server({ idleTtlS: 1 });
    expect((await postImage(`${s.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    const pid = (await status(s.url)).workers[0].pid;
    await eventually(async () => ((await loadedModels(s.url)).length === 0 ? true : undefined), 10_000, 200);
    expect(alive(pid)).toBe(false);
  });

  it('POST /v1/models/{alias}/load loads without a request; /v1/models shows it with its licence', async () => {
    const s = await server({});
    const before = await json(await fetch(`${s.url}/v1/models`));
    expect(before.object).toBe('list');
    expect(before.data.find((m: { id: string }) => m.id === 'yolov8n')).toMatchObject({ object: 'model', owned_by: 'argus', task: 'detect', runtime: 'onnx', licence: 'AGPL-3.0', licence_kind: 'copyleft', licence_warning: expect.stringMatching(/AGPL/), available: true, loaded: false });
    const loaded = await fetch(`${s.url}/v1/models/yolo11n/load`, { method: 'POST' });
    expect(loaded.status).toBe(200);
    expect(await json(loaded)).toMatchObject({ alias: 'yolo11n', state: 'ready', workers: 1, provider: 'cpu', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const after = await json(await fetch(`${s.url}/v1/models`));
    const entry = after.data.find((m: { id: string }) => m.id === 'yolo11n');
    expect(entry).toMatchObject({ loaded: true, state: 'ready', memory_measured: true, device: 'cpu' });
    expect(entry.memory_mb).toBeGreaterThan(20);
    expect((await json(await fetch(`${s.url}/healthz`))).models.find((m: { alias: string }) => m.alias === 'yolo11n')).toMatchObject({ loaded: true });
  });

  it('concurrent first requests load the model once', async () => {
    const s = await server({ models: { yolov8n: { instances: 1 } } });
    const responses = await Promise.all(Array.from({ length: 6 }, () => postImage(`${s.url}/v1/detect`, image('bus.jpg'))));
    for (const r of responses) expect(r.status).toBe(200);
    const model = (await status(s.url)).models.find((m: { alias: string }) => m.alias === 'yolov8n');
    expect(model).toMatchObject({ loads: 1, workers: 1 });
  });
});

describe('memory budget', () => {
  it('with room for one model only, keeps one loaded and serves both, alternating', async () => {
    // Measure what one worker of each model really takes once it has served (a run grows it by
    // ~40 MiB over its loaded size), then allow a bit more than the larger.
    const probe = await server({ models: { yolov8n: { instances: 1 }, yolo11n: { instances: 1 } } });
    for (const model of ['yolov8n', 'yolo11n']) expect((await postImage(`${probe.url}/v1/detect`, image('bus.jpg'), { model })).status).toBe(200);
    const rss = Object.fromEntries((await status(probe.url)).models.map((m: { alias: string; rss_mb: number }) => [m.alias, m.rss_mb]));
    const budget = Math.ceil(Math.max(rss.yolov8n, rss.yolo11n) * 1.3);
    expect(budget).toBeLessThan(rss.yolov8n + rss.yolo11n);

    const s = await server({ memoryBudgetMb: budget });
    for (const model of ['yolov8n', 'yolo11n', 'yolov8n', 'yolo11n']) {
      const response = await postImage(`${s.url}/v1/detect`, image('bus.jpg'), { model });
      expect(response.status).toBe(200);
      expect((await json(response)).model.alias).toBe(model);
      expect(await loadedModels(s.url)).toEqual([model]);
      expect((await status(s.url)).memory.used_by_workers_mb).toBeLessThanOrEqual(budget);
    }
  });

  it('never evicts a pinned model: a load that cannot fit waits, then gets 503 with Retry-After', async () => {
    const s = await server({ preload: ['yolov8n'], memoryBudgetMb: 120, loadWaitMs: 500 });
    await eventually(async () => ((await loadedModels(s.url)).includes('yolov8n') ? true : undefined), 20_000, 100);
    // yolo11n's estimate (100 MiB) on top of the pinned worker's measured RSS exceeds 120 MiB.
    const response = await postImage(`${s.url}/v1/detect`, image('bus.jpg'), { model: 'yolo11n' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await json(response)).error.message).toMatch(/memory/i);
    expect(await loadedModels(s.url)).toEqual(['yolov8n']);
    expect((await postImage(`${s.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
  });

  it('refuses at once a model larger than the whole budget', async () => {
    const s = await server({ memoryBudgetMb: 10 });
    const response = await postImage(`${s.url}/v1/detect`, image('bus.jpg'));
    expect(response.status).toBe(503);
    expect((await json(response)).error.message).toMatch(/ARGUS_MEMORY_BUDGET_MB/);
  });
});

describe('execution provider', () => {
  it('with requireGpu, a machine without CUDA fails the load clearly instead of using the CPU', async () => {
    const s = await server({ requireGpu: true });
    const response = await postImage(`${s.url}/v1/detect`, image('bus.jpg'));
    expect(response.status).toBe(503);
    const { error } = await json(response);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toMatch(/cuda execution provider unavailable/);
  });

  it('asked for cuda without requiring it, falls back to the CPU and says so in the status', async () => {
    const s = await server({ executionProvider: 'cuda' });
    expect((await postImage(`${s.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    const [worker] = (await status(s.url)).workers;
    expect(worker.provider).toBe('cpu');
    expect(worker.fallback_reason).toMatch(/cuda execution provider unavailable/);
  });
});
