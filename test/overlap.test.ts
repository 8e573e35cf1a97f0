/**
 * Overlap and the history's previews, on a real server. With one yolov8n worker on two cores the
 * session runs on its own thread and a busy worker is handed the next request, so its decode
 * overlaps the running inference; every answer stays the one the image gets alone. Where workers
 * fill the cores (the default placement) overlap is off. Recording a result makes no preview
 * (neither in the worker nor in the preview helper): they are made when someone looks.
 */
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, startServer, type TestServer } from './helpers.js';
import { sample } from './prometheus.js';

/** Command lines of this process's children: an in-process server's helpers and workers. */
function children(): string[] {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

const previewHelpers = () => children().filter((args) => args.includes('thumbnailer-entry')).length;

async function overlappedCount(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return sample(text, 'argus_overlapped_requests_total', { model: 'yolov8n' }) ?? 0;
}

type Detection = { label: string; box: Record<string, number> };

async function detectAll(server: TestServer, names: string[]): Promise<Array<{ detections: Detection[]; timings: Record<string, number> }>> {
  return Promise.all(names.map(async (name) => {
    const response = await postImage(`${server.url}/v1/detect`, image(name));
    expect(response.status, await response.clone().text()).toBe(200);
    return json(response);
  }));
}

describe('overlap on', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ historySize: 50, cpuCores: 2, models: { yolov8n: { instances: 1 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('hands a busy worker the next request, and every answer is the one its image gets alone', async () => {
    const names = ['bus.jpg', 'zidane.jpg', 'bus.jpg', 'zidane.jpg', 'bus.jpg', 'zidane.jpg'];
    const alone: Record<string, Detection[]> = {};
    for (const name of ['bus.jpg', 'zidane.jpg']) alone[name] = (await detectAll(server, [name]))[0].detections;
    expect(await overlappedCount(server)).toBe(0);
    const models = (await json(await fetch(`${server.url}/v1/system/status`))).models;
    expect(models.find((m: { alias: string }) => m.alias === 'yolov8n')).toMatchObject({ overlap: true, workers: 1 });

    const sawTwoInFlight = (async () => {
      for (let i = 0; i < 200; i++) {
        const status = await json(await fetch(`${server.url}/v1/system/status`));
        if (status.workers.some((w: { in_flight?: number }) => w.in_flight === 2)) return true;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return false;
    })();
    const results = await detectAll(server, names);
    results.forEach((result, i) => expect(result.detections).toEqual(alone[names[i]]));
    // One worker: the first request runs, each later one is handed over while the one before still runs.
    expect(await overlappedCount(server)).toBeGreaterThanOrEqual(names.length - 2);
    expect(await sawTwoInFlight).toBe(true);
    // Waiting in the worker, already decoded, is reported as queueing, so the stages still add up.
    for (const { timings } of results) {
      const stages = timings.queue_ms + timings.decode_ms + timings.preprocess_ms + timings.inference_ms + timings.postprocess_ms;
      expect(stages).toBeLessThanOrEqual(timings.total_ms + 0.05);
    }
  });

  it('records results without making previews, and makes them on first look from the kept upload', async () => {
    const { id } = await json(await postImage(`${server.url}/v1/detect`, image('bus.jpg')));
    const form = new FormData();
    form.append('task', 'detect');
    form.append('image', new Blob([image('zidane.jpg')]), 'zidane.jpg');
    const job = await json(await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: form }));
    await eventually(async () => ((await json(await fetch(`${server.url}/v1/history?limit=100`))).items.some((e: { id: string }) => e.id === job.id) ? true : undefined));
    // Batched embeddings too: the batch is formed as before, and recording asks nothing of it.
    const embedded = await Promise.all([0, 1, 2, 3, 4, 5].map(() => postImage(`${server.url}/v1/embed`, image('bus.jpg'))));
    const embedIds: string[] = [];
    for (const response of embedded) {
      expect(response.status).toBe(200);
      embedIds.push((await json(response)).id);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const runs = sample(metrics, 'argus_batch_size_count', { model: 'resnet18-embed' }) ?? 0;
    expect(sample(metrics, 'argus_batch_size_sum', { model: 'resnet18-embed' })).toBe(6);
    expect(runs).toBeLessThan(6); // at least one real batch among them
    // Nothing decoded the images again for the history: the preview helper has not started.
    expect(previewHelpers()).toBe(0);

    for (const [entryId, side] of [[id, [480, 640]], [job.id, [640, 360]], ...embedIds.map((e) => [e, [480, 640]] as const)] as const) {
      const entry = await json(await fetch(`${server.url}/v1/history/${entryId}`));
      expect([entry.width, entry.height]).toEqual(side[0] === 480 ? [810, 1080] : [1280, 720]);
      const preview = await fetch(`${server.url}${entry.preview_url}`);
      expect(preview.status).toBe(200);
      const meta = await sharp(Buffer.from(await preview.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual(side);
    }
    // Looking made them, in the helper.
    expect(previewHelpers()).toBe(1);
  });
});

describe('overlap on: unloading', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ historySize: 0, cpuCores: 2, models: { yolov8n: { instances: 1 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('stops a worker whose session runs on its own thread, and loads it again on the next request', async () => {
    expect((await detectAll(server, ['bus.jpg']))[0].detections).toHaveLength(5);
    const evicted = await fetch(`${server.url}/v1/system/evict/yolov8n`, { method: 'POST' });
    expect(evicted.status, await evicted.clone().text()).toBe(200);
    expect(await json(evicted)).toMatchObject({ alias: 'yolov8n', stopped: 1 });
    expect((await detectAll(server, ['zidane.jpg']))[0].detections).toHaveLength(3);
  });
});

describe('overlap off', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  async function runsOneAtATime(overrides: Parameters<typeof startServer>[0]): Promise<void> {
    const server = await startServer({ historySize: 0, cpuCores: 2, ...overrides });
    servers.push(server);
    const results = await detectAll(server, ['bus.jpg', 'zidane.jpg', 'bus.jpg', 'zidane.jpg', 'bus.jpg', 'zidane.jpg']);
    expect(results.map((r) => r.detections.length)).toEqual([5, 3, 5, 3, 5, 3]);
    expect(await overlappedCount(server)).toBe(0);
    const models = (await json(await fetch(`${server.url}/v1/system/status`))).models;
    expect(models.find((m: { alias: string }) => m.alias === 'yolov8n')).toMatchObject({ overlap: false });
  }

  it('by default where the workers fill the cores (two single-thread workers on two cores)', async () => {
    await runsOneAtATime({});
  });

  it('when the config turns it off (models.<alias>.overlap: false)', async () => {
    await runsOneAtATime({ models: { yolov8n: { instances: 1, overlap: false } } });
  });
});
