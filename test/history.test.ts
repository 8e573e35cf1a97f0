/**
 * The history API behind the dashboard, over HTTP on a real server: what a finished request
 * records, filters, paging, images, trimming to ARGUS_HISTORY_SIZE, the live event stream, and
 * clear 4xx answers for bad input.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ historySize: 3 });
});

afterAll(async () => {
  await server?.close();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** The first `count` server-sent events of a stream (name and parsed data). */
async function readEvents(url: string, count: number, during: () => Promise<unknown>): Promise<SseEvent[]> {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  const started = during();
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  abort.abort();
  await started;
  return events;
}

describe('history API', () => {
  it('records a detection with labels, summary, params and images, and announces it live', async () => {
    const events = await readEvents(`${server.url}/v1/events?topics=history`, 2, async () => {
      expect((await postImage(`${server.url}/v1/detect`, image('bus.jpg'))).status).toBe(200);
    });
    expect(events[0]).toMatchObject({ event: 'hello', data: { topics: ['history'], recording: true } });
    expect(events[1]).toMatchObject({ event: 'history', data: { task: 'detect', model: 'yolov8n', summary: '4 person, 1 bus' } });
    const id = events[1].data.id as string;

    const page = await json(await fetch(`${server.url}/v1/history`));
    expect(page.items[0]).toMatchObject({ id, kind: 'sync', status: 'succeeded', width: 810, height: 1080, result_omitted: false });
    expect([...page.items[0].labels].sort()).toEqual(['bus', 'person']);
    expect(page.facets).toEqual({ tasks: ['detect'], models: ['yolov8n'], labels: ['bus', 'person'] });
    const entry = await json(await fetch(`${server.url}/v1/history/${id}`));
    expect(entry.result.detections).toHaveLength(5);
    expect(entry.params).toMatchObject({ conf: 0.25 });

    for (const [which, side] of [['thumbnail', 200], ['preview', 640]] as const) {
      const response = await fetch(`${server.url}${entry[`${which}_url`]}`);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(Math.max(meta.width!, meta.height!)).toBe(side);
    }
  });

  it('filters, pages and keeps only the newest ARGUS_HISTORY_SIZE entries', async () => {
    await postImage(`${server.url}/v1/detect`, image('zidane.jpg'));
    await postImage(`${server.url}/v1/detect`, image('bus.jpg'), { classes: 'bus' });
    await postImage(`${server.url}/v1/detect`, image('zidane.jpg'));
    const all = await eventually(async () => {
      const page = await json(await fetch(`${server.url}/v1/history?limit=10`));
      return page.items.length === 3 && page.items[0].labels.includes('person') ? page : undefined;
    });
    // The first bus.jpg entry was trimmed: three are kept, newest first.
    const summaries = all.items.map((i: { summary: string }) => i.summary);
    expect(summaries[1]).toBe('1 bus');
    expect(summaries[0]).toMatch(/^2 person/);
    expect(summaries[2]).toMatch(/^2 person/);

    const bus = await json(await fetch(`${server.url}/v1/history?label=bus`));
    expect(bus.items.map((i: { summary: string }) => i.summary)).toEqual(['1 bus']);
    const first = await json(await fetch(`${server.url}/v1/history?limit=2`));
    expect(first.items).toHaveLength(2);
    const second = await json(await fetch(`${server.url}/v1/history?limit=2&before=${first.next}`));
    expect(second.items).toHaveLength(1);
    expect(second.next).toBeUndefined();
    const future = await json(await fetch(`${server.url}/v1/history?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`));
    expect(future.items).toEqual([]);
  });

  it('deletes an entry and its images', async () => {
    const [item] = (await json(await fetch(`${server.url}/v1/history?limit=1`))).items;
    expect((await fetch(`${server.url}/v1/history/${item.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${server.url}/v1/history/${item.id}/preview.jpg`);
    expect(gone.status).toBe(404);
    expect((await json(gone)).error.code).toBe('history_not_found');
    expect((await fetch(`${server.url}/v1/history/${item.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers bad input with a clear 400 or 404 and keeps serving', async () => {
    for (const [path, status, code] of [
      ['/v1/history?before=abc', 400, 'invalid_params'],
      ['/v1/history?limit=0', 400, 'invalid_params'],
      ['/v1/history?since=yesterday', 400, 'invalid_params'],
      ['/v1/history?status=maybe', 400, 'invalid_params'],
      ['/v1/history/no-such-id', 404, 'history_not_found'],
      ['/v1/history/no-such-id/thumbnail.jpg', 404, 'history_not_found'],
      ['/v1/events?topics=jobs,gossip', 400, 'invalid_params'],
      ['/v1/events?topics=', 400, 'invalid_params'],
      ['/v1/system/stats?window_s=0', 400, 'invalid_params'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(status);
      expect((await json(response)).error.code, path).toBe(code);
    }
    // The rejected requests above count too, once their second is complete (a snapshot leaves
    // the current second out), so wait for it rather than race the clock.
    const rejected = await eventually(async () => {
      const stats = await json(await fetch(`${server.url}/v1/system/stats?window_s=60`));
      return stats.totals.rejected >= 9 ? stats.totals.rejected : undefined;
    }, 5_000);
    expect(rejected).toBeGreaterThanOrEqual(9);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('shows a result the moment it is answered, and its preview, made on first look, from the kept upload', async () => {
    const answered = await json(await postImage(`${server.url}/v1/classify`, image('zidane.jpg')));
    // No waiting: the entry is written before the read.
    const entry = await json(await fetch(`${server.url}/v1/history/${answered.id}`));
    expect(entry).toMatchObject({ id: answered.id, task: 'classify', width: 1280, height: 720 });
    const [thumbnail, preview] = await Promise.all(['thumbnail_url', 'preview_url'].map(async (url) => {
      const response = await fetch(`${server.url}${entry[url]}`);
      expect(response.status).toBe(200);
      return sharp(Buffer.from(await response.arrayBuffer())).metadata();
    }));
    expect([thumbnail.width, thumbnail.height]).toEqual([200, 113]);
    expect([preview.width, preview.height]).toEqual([640, 360]);
  });
});
