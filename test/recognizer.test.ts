/**
 * The car recognizer's API against a real server: the original service's curl examples replayed
 * (upload → inference → files → CSV → report), bad uploads, batches, deletes, reprocessing, the
 * CSV read back by a real CSV parser, the report rendered in Chromium, and a restart. The
 * recognizer is the real squeezenet (no CLIP model is installable here), so labels are ImageNet's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postJson, startServer, tempDir, type TestServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const bus = image('bus.jpg');
const zidane = image('zidane.jpg');
const notAnImage = Buffer.from('This is a text file pretending to be a photo.\n'.repeat(20));

let server: TestServer;
let dataDir: string;
let bigPng: Buffer;

/**
 * Gives a stored image a name no multipart upload can carry: a line break cannot appear in a
 * part's header (browsers and undici percent-encode it; @fastify/busboy ignores RFC 5987
 * `filename*`), but such names exist in data carried over from elsewhere, and the export must
 * still quote them. Written as another process would, through SQLite (WAL allows it).
 */
function rename(id: number, filename: string): void {
  const db = new Database(join(dataDir, 'argus.db'));
  try {
    db.prepare('UPDATE files SET filename = ? WHERE id = ?').run(filename, id);
  } finally {
    db.close();
  }
}

async function upload(bytes: Buffer, filename = 'car.jpg'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), filename);
  return fetch(`${server.url}/upload/`, { method: 'POST', body: form });
}

async function uploadBatch(files: Array<[Buffer, string]>): Promise<Response> {
  const form = new FormData();
  for (const [bytes, name] of files) form.append('files', new Blob([bytes]), name);
  return fetch(`${server.url}/upload/batch`, { method: 'POST', body: form });
}

const get = (path: string) => fetch(`${server.url}${path}`);

beforeAll(async () => {
  dataDir = tempDir('argus-recognizer-');
  // Overload shedding (event-loop delay) is off: this shared machine stalls at times, and overload is not under test here.
  server = await startServer({ dataDir, recognizeBatchSyncMax: 2, maxEventLoopDelayMs: 0 });
  // 11 MB of noise as a real PNG (noise does not compress).
  const width = 2000;
  const height = 1900;
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  bigPng = await sharp(noise, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
});

afterAll(async () => {
  await server?.close();
});

describe('the original curl examples, replayed', () => {
  it('upload → inference → files → CSV → report', async () => {
    // curl -F "file=@bus.jpg" http://host/upload/
    const uploaded = await upload(bus, 'bus.jpg');
    expect(uploaded.status).toBe(200);
    const file = await json(uploaded);
    expect(file).toMatchObject({ filename: 'bus.jpg', content_type: 'image/jpeg', size: bus.length, width: 810, height: 1080, processed: false, predictions: [] });
    expect(file.image_id).toBeGreaterThanOrEqual(1);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);

    // curl -X POST http://host/inference/1
    const inferred = await fetch(`${server.url}/inference/${file.image_id}`, { method: 'POST' });
    expect(inferred.status).toBe(200);
    const recognition = await json(inferred);
    expect(recognition).toMatchObject({ image_id: file.image_id, cached: false, model: { alias: 'squeezenet' }, label_set: null });
    expect(recognition.predictions).toHaveLength(5);
    expect(recognition.top_prediction.label).toBe('minibus');
    expect(recognition.timings.inference_ms).toBeGreaterThan(0);

    // curl http://host/files/ ; curl http://host/files/1 ; curl http://host/files/1/content
    const list = await json(await get('/files/'));
    expect(list.items.map((f: { image_id: number }) => f.image_id)).toContain(file.image_id);
    const stored = await json(await get(`/files/${file.image_id}`));
    expect(stored).toMatchObject({ processed: true, top_prediction: { label: 'minibus' }, model: { alias: 'squeezenet' } });
    expect(stored.processed_at).toBe(recognition.processed_at);
    const content = await get(`/files/${file.image_id}/content`);
    expect(content.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await content.arrayBuffer()).equals(bus)).toBe(true);

    // curl http://host/visualization/export/csv ; curl http://host/visualization/report
    const csv = await get('/visualization/export/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse(await csv.text(), { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((r) => r.image_id === String(file.image_id))).toMatchObject({ filename: 'bus.jpg', top_label: 'minibus', model: 'squeezenet' });
    const report = await get('/visualization/report');
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await report.text()).toContain('minibus');
  });
});

describe('uploads', () => {
  it('refuses a non-image named .jpg with 415 and an 11 MB PNG with 413, and keeps serving', async () => {
    const text = await upload(notAnImage, 'holiday.jpg');
    expect(text.status).toBe(415);
    expect((await json(text)).error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/not an image.*checked by their content/) });
    expect(bigPng.length).toBeGreaterThan(11_000_000);
    const big = await upload(bigPng, 'big.png');
    expect(big.status).toBe(413);
    expect((await json(big)).error.code).toBe('payload_too_large');
    const gif = await upload(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'a.gif');
    expect(gif.status).toBe(415);
    expect((await upload(zidane, 'zidane.jpg')).status).toBe(200);
  });

  it('stores the good files of a batch and reports each bad one with its reason', async () => {
    const response = await uploadBatch([[bus, 'one.jpg'], [notAnImage, 'fake.jpg'], [bigPng, 'huge.png'], [zidane, 'two.jpg']]);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ total: 4, succeeded: 2 });
    expect(body.uploaded.map((f: { filename: string }) => f.filename)).toEqual(['one.jpg', 'two.jpg']);
    expect(body.failed).toEqual([
      { filename: 'fake.jpg', code: 'unsupported_media_type', status: 415, message: expect.stringContaining('not an image') },
      { filename: 'huge.png', code: 'payload_too_large', status: 413, message: expect.any(String) },
    ]);
    for (const f of body.uploaded) expect((await get(`/files/${f.image_id}`)).status).toBe(200);
  });

  it('takes an RFC 5987 file name (filename*) and decodes it', async () => {
    const boundary = 'argus-test-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''caf%C3%A9%20%E2%82%AC.jpg\r\nContent-Type: image/jpeg\r\n\r\n`),
      bus,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await fetch(`${server.url}/upload/`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(response.status).toBe(200);
    expect((await json(response)).filename).toBe('café €.jpg');
  });

  it('stores a batch of one file (one part, not a repeated field)', async () => {
    const response = await uploadBatch([[bus, 'only.jpg']]);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ total: 1, succeeded: 1, failed: [], uploaded: [{ filename: 'only.jpg' }] });
  });

  it('answers 400 when no file of a batch could be stored, and 400 for a batch without files', async () => {
    const bad = await uploadBatch([[notAnImage, 'a.jpg'], [notAnImage, 'b.png']]);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'no_valid_files', details: [{ filename: 'a.jpg' }, { filename: 'b.png' }] });
    const form = new FormData();
    form.append('other', 'x');
    expect((await fetch(`${server.url}/upload/batch`, { method: 'POST', body: form })).status).toBe(400);
  });
});

describe('files', () => {
  it('deletes an image: its metadata and content are then 404, and so is a second delete', async () => {
    const { image_id: id } = await json(await upload(bus));
    await fetch(`${server.url}/inference/${id}`, { method: 'POST' });
    const deleted = await fetch(`${server.url}/files/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toMatchObject({ image_id: id, deleted: true });
    expect((await get(`/files/${id}`)).status).toBe(404);
    expect((await json(await get(`/files/${id}/content`))).error.code).toBe('file_not_found');
    expect((await fetch(`${server.url}/inference/${id}`, { method: 'POST' })).status).toBe(404);
    const again = await fetch(`${server.url}/files/${id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await json(again)).error.code).toBe('file_not_found');
  });

  it('reprocess clears the predictions, and the next inference computes them again (new processed_at)', async () => {
    const { image_id: id } = await json(await upload(zidane));
    const first = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    const cached = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    expect(cached).toMatchObject({ cached: true, processed_at: first.processed_at });
    const cleared = await fetch(`${server.url}/files/${id}/reprocess`, { method: 'POST' });
    expect(cleared.status).toBe(200);
    expect(await json(cleared)).toMatchObject({ processed: false, processed_at: null, predictions: [] });
    const second = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    expect(second.cached).toBe(false);
    expect(Date.parse(second.processed_at)).toBeGreaterThan(Date.parse(first.processed_at));
    expect(second.top_prediction.label).toBe(first.top_prediction.label);
    expect((await fetch(`${server.url}/files/99999/reprocess`, { method: 'POST' })).status).toBe(404);
  });

  it('lists with paging and filters, and refuses bad filters with 400', async () => {
    const page = await json(await get('/files/?limit=2&offset=1&order=desc'));
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
    const processed = await json(await get('/files/?processed=true&limit=1000'));
    expect(processed.items.every((f: { processed: boolean }) => f.processed)).toBe(true);
    const unprocessed = await json(await get('/files/?processed=false&limit=1000'));
    expect(unprocessed.items.every((f: { processed: boolean }) => !f.processed)).toBe(true);
    const all = await json(await get('/files/?limit=1000'));
    expect(processed.total + unprocessed.total).toBe(all.total);
    const minibus = await json(await get('/files/?label=MINIBUS&limit=1000'));
    expect(minibus.total).toBeGreaterThan(0);
    expect(minibus.items.every((f: { top_prediction: { label: string } }) => f.top_prediction.label === 'minibus')).toBe(true);
    expect((await json(await get('/files/?from=2000-01-01&to=2000-12-31'))).total).toBe(0);
    expect((await json(await get(`/files/?from=${new Date(Date.now() - 3_600_000).toISOString()}&limit=1000`))).total).toBe(all.total);
    for (const bad of ['from=yesterday', 'limit=0', 'limit=5000', 'processed=maybe', 'order=up']) {
      const response = await get(`/files/?${bad}`);
      expect(response.status, bad).toBe(400);
    }
    expect((await get('/files/abc')).status).toBe(400);
  });
});

describe('inference batches', () => {
  it('answers a small batch at once, with an error for each unknown id', async () => {
    const ids = [(await json(await upload(bus))).image_id, 424242];
    const response = await postJson(`${server.url}/inference/batch`, { image_ids: ids });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.model.alias).toBe('squeezenet');
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({ image_id: ids[0], top_prediction: { label: 'minibus' } });
    expect(body.errors).toEqual([{ image_id: 424242, code: 'file_not_found', message: expect.any(String) }]);
    const none = await postJson(`${server.url}/inference/batch`, { image_ids: [777777] });
    expect(none.status).toBe(400);
    expect((await json(none)).error.code).toBe('no_image_recognized');
    for (const bad of [{}, { image_ids: [] }, { image_ids: ['x'] }, { image_ids: [0] }]) {
      expect((await postJson(`${server.url}/inference/batch`, bad)).status).toBe(400);
    }
  });

  it('runs a batch larger than the threshold as a job, with progress, to the same result', async () => {
    const { uploaded } = await json(await uploadBatch([[bus, 'j1.jpg'], [zidane, 'j2.jpg'], [bus, 'j3.jpg']]));
    const ids = uploaded.map((f: { image_id: number }) => f.image_id);
    const response = await postJson(`${server.url}/inference/batch`, { image_ids: [...ids, 999999] });
    expect(response.status).toBe(202);
    const accepted = await json(response);
    expect(accepted).toMatchObject({ total: 4, status_url: `/v1/jobs/${accepted.job_id}` });
    const job = await eventually(async () => {
      const body = await json(await get(accepted.status_url));
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    }, 120_000, 200);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ done: 4, total: 4 });
    expect(job.result.results.map((r: { image_id: number }) => r.image_id).sort()).toEqual([...ids].sort());
    expect(job.result.errors).toEqual([{ image_id: 999999, code: 'file_not_found', message: expect.any(String) }]);
    for (const id of ids) expect((await json(await get(`/files/${id}`))).processed).toBe(true);
  });
});

describe('reports', () => {
  it('exports RFC 4180 CSV that a real parser reads back, even with commas, quotes and a newline in a file name', async () => {
    const name = 'a,"b"\nc.jpg';
    // Commas and quotes travel in a multipart file name (undici escapes the quotes as %22).
    const uploaded = await json(await upload(bus, 'a,b.jpg'));
    expect(uploaded.filename).toBe('a,b.jpg');
    rename(uploaded.image_id, name);
    expect((await json(await get(`/files/${uploaded.image_id}`))).filename).toBe(name);
    await fetch(`${server.url}/inference/${uploaded.image_id}`, { method: 'POST' });
    const csv = await (await get('/visualization/export/csv')).text();
    expect(csv).toContain('"a,""b""\nc.jpg"');
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    const row = rows.find((r) => r.image_id === String(uploaded.image_id));
    expect(row).toMatchObject({ filename: name, top_label: 'minibus', content_type: 'image/jpeg', processed_at: expect.stringMatching(/^\d{4}-/) });
    const stats = await json(await get('/visualization/stats'));
    expect(rows).toHaveLength(stats.processed);
    const everything = parse(await (await get('/visualization/export/csv?include_unprocessed=true')).text(), { columns: true });
    expect(everything).toHaveLength(stats.total_files);
  });

  it('renders a self-contained HTML report in Chromium whose numbers match /visualization/stats', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium.`);
    const stats = await json(await get('/visualization/stats'));
    expect(stats.total_files).toBe(stats.processed + stats.unprocessed);
    expect(stats.confidence_histogram.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(stats.processed);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) external.push(request.url());
      });
      await page.goto(`${server.url}/visualization/report`);
      const text = (selector: string) => page.locator(selector).innerText();
      expect(Number(await text('#total-files'))).toBe(stats.total_files);
      expect(Number(await text('#processed'))).toBe(stats.processed);
      expect(Number(await text('#unprocessed'))).toBe(stats.unprocessed);
      expect(Number(await text('#mean-inference-ms'))).toBeCloseTo(stats.mean_inference_ms, 1);
      const labels = await page.locator('#labels .bar').evaluateAll((bars) => bars.map((b) => ({ label: b.getAttribute('data-label'), count: Number(b.querySelector('.count')!.textContent) })));
      expect(labels).toEqual(stats.predictions_per_label);
      const bins = await page.locator('#histogram .bar .count').allInnerTexts();
      expect(bins.map(Number)).toEqual(stats.confidence_histogram.map((b: { count: number }) => b.count));
      // Thumbnails are inline images that really decoded.
      const thumbs = await page.locator('#recent td.thumb img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
      expect(thumbs.length).toBeGreaterThan(0);
      expect(thumbs.every((w) => w > 0)).toBe(true);
      // The odd file name is shown as text, not markup.
      expect(await page.locator('#recent td.filename').allInnerTexts()).toContain('a,"b"\nc.jpg');
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('restart', () => {
  it('keeps every file, its bytes and its predictions across a restart', async () => {
    const before = await json(await get('/files/?limit=1000'));
    const stats = await json(await get('/visualization/stats'));
    await server.close();
    server = await startServer({ dataDir, recognizeBatchSyncMax: 2, maxEventLoopDelayMs: 0 });
    expect(await json(await get('/files/?limit=1000'))).toEqual(before);
    expect(await json(await get('/visualization/stats'))).toEqual(stats);
    const first = before.items[0];
    expect(Buffer.from(await (await get(`/files/${first.image_id}/content`)).arrayBuffer()).length).toBe(first.size);
    const { image_id: next } = await json(await upload(bus));
    expect(next).toBeGreaterThan(Math.max(...before.items.map((f: { image_id: number }) => f.image_id)));
  });
});
