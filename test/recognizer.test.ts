/**
 * What Argus adds to the car recognizer's API, against a real server: the extra fields (size,
 * sha256, model, timings, cached), the stored bytes, upload refusals with their codes, filters and
 * paging of the list, batches run as jobs when ARGUS_RECOGNIZE_BATCH_SYNC_MAX is lowered, the
 * extended CSV read back by a real CSV parser, the report rendered in Chromium, and a restart. The
 * original's own clients are replayed in test/originals/car-recognizer.test.ts. The recognizer is
 * the real squeezenet (no CLIP model is installable here), so labels are ImageNet's.
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

describe('what Argus adds to the answers', () => {
  it('upload → inference → file → content → extended CSV → report, with the extra fields', async () => {
    const uploaded = await upload(bus, 'bus.jpg');
    expect(uploaded.status).toBe(200);
    const [file] = (await json(uploaded)).files;
    expect(file).toMatchObject({ filename: 'bus.jpg', mime_type: 'image/jpeg', size_bytes: bus.length, width: 810, height: 1080, processed: false, results: null, processed_at: null, model: null });
    expect(file.id).toBeGreaterThanOrEqual(1);
    expect(file.path).toBe(`/files/${file.id}/content`);
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);

    const inferred = await fetch(`${server.url}/inference/${file.id}`, { method: 'POST' });
    expect(inferred.status).toBe(200);
    const recognition = await json(inferred);
    expect(recognition).toMatchObject({ id: file.id, cached: false, model: { alias: 'squeezenet' }, label_set: null });
    expect(recognition.predictions).toHaveLength(3);
    expect(recognition.predictions[0]).toMatchObject({ label: 'minibus', class_id: 654 });
    expect(recognition.timings.inference_ms).toBeGreaterThan(0);

    const stored = await json(await get(`/files/${file.id}`));
    expect(stored).toMatchObject({ processed: true, results: recognition.predictions, model: { alias: 'squeezenet' } });
    expect(stored.processed_at).toBe(recognition.processed_at);
    const content = await get(stored.path);
    expect(content.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await content.arrayBuffer()).equals(bus)).toBe(true);

    const csv = await get('/visualization/export/csv?extended=true');
    expect(csv.status).toBe(200);
    const rows = parse(await csv.text(), { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((r) => r.id === String(file.id))).toMatchObject({ filename: 'bus.jpg', top_prediction: 'minibus', model: 'squeezenet', mime_type: 'image/jpeg', sha256: file.sha256 });
    const report = await get('/visualization/report');
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('minibus');
  });
});

describe('uploads', () => {
  it('refuses a non-image named .jpg, an 11 MB PNG and a GIF with 400s that say why, and keeps serving', async () => {
    const text = await upload(notAnImage, 'holiday.jpg');
    expect(text.status).toBe(400);
    expect(text.headers.get('x-argus-error-code')).toBe('file_not_an_image');
    expect((await json(text)).detail).toMatch(/not an image.*checked by content/);
    expect(bigPng.length).toBeGreaterThan(11_000_000);
    const big = await upload(bigPng, 'big.png');
    expect(big.status).toBe(400);
    expect(big.headers.get('x-argus-error-code')).toBe('file_too_large');
    const gif = await upload(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'a.gif');
    expect(gif.status).toBe(400);
    expect(gif.headers.get('x-argus-error-code')).toBe('file_type_not_allowed');
    expect((await upload(zidane, 'zidane.jpg')).status).toBe(200);
  });

  it('stores the good files of a batch and lists each bad one in failed with its code', async () => {
    const response = await uploadBatch([[bus, 'one.jpg'], [notAnImage, 'fake.jpg'], [bigPng, 'huge.png'], [zidane, 'two.jpg']]);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.message).toMatch(/^Files uploaded: 2\. Errors: fake\.jpg: .+; huge\.png: /);
    expect(body.files.map((f: { filename: string }) => f.filename)).toEqual(['one.jpg', 'two.jpg']);
    expect(body.failed).toEqual([
      { filename: 'fake.jpg', code: 'file_not_an_image', status: 400, message: expect.stringContaining('not an image') },
      { filename: 'huge.png', code: 'file_too_large', status: 400, message: expect.any(String) },
    ]);
    for (const f of body.files) expect((await get(`/files/${f.id}`)).status).toBe(200);
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
    expect((await json(response)).files[0].filename).toBe('café €.jpg');
  });

  it('stores a batch of one file (one part, not a repeated field)', async () => {
    const response = await uploadBatch([[bus, 'only.jpg']]);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ message: 'Files uploaded: 1.', failed: [], files: [{ filename: 'only.jpg' }] });
  });

  it('answers 400 when no file of a batch could be stored, and 422 for a batch without files', async () => {
    const bad = await uploadBatch([[notAnImage, 'a.jpg'], [notAnImage, 'b.png']]);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-argus-error-code')).toBe('no_valid_files');
    expect((await json(bad)).detail).toMatch(/^a\.jpg: .+; b\.png: /);
    const form = new FormData();
    form.append('other', 'x');
    expect((await fetch(`${server.url}/upload/batch`, { method: 'POST', body: form })).status).toBe(422);
  });
});

describe('files', () => {
  it('deletes an image: its metadata and content are then 404, and so is a second delete', async () => {
    const { id } = (await json(await upload(bus))).files[0];
    await fetch(`${server.url}/inference/${id}`, { method: 'POST' });
    const deleted = await fetch(`${server.url}/files/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ message: "File 'car.jpg' deleted.", id });
    expect((await get(`/files/${id}`)).status).toBe(404);
    const content = await get(`/files/${id}/content`);
    expect(content.status).toBe(404);
    expect(content.headers.get('x-argus-error-code')).toBe('file_not_found');
    expect((await fetch(`${server.url}/inference/${id}`, { method: 'POST' })).status).toBe(404);
    const again = await fetch(`${server.url}/files/${id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(again.headers.get('x-argus-error-code')).toBe('file_not_found');
  });

  it('reprocess clears the predictions, and the next inference computes them again (new processed_at)', async () => {
    const { id } = (await json(await upload(zidane))).files[0];
    const first = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    const cached = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    expect(cached).toMatchObject({ cached: true, processed_at: first.processed_at });
    const cleared = await fetch(`${server.url}/files/${id}/reprocess`, { method: 'POST' });
    expect(cleared.status).toBe(200);
    expect(await json(cleared)).toMatchObject({ processed: false, processed_at: null, results: null });
    const second = await json(await fetch(`${server.url}/inference/${id}`, { method: 'POST' }));
    expect(second.cached).toBe(false);
    expect(Date.parse(second.processed_at)).toBeGreaterThan(Date.parse(first.processed_at));
    expect(second.predictions[0].label).toBe(first.predictions[0].label);
    expect((await fetch(`${server.url}/files/99999/reprocess`, { method: 'POST' })).status).toBe(404);
  });

  it('lists with paging and filters, the count of matches in x-total-count, and refuses bad filters', async () => {
    const list = async (query: string) => {
      const response = await get(`/files/?${query}`);
      return { items: await json(response), total: Number(response.headers.get('x-total-count')) };
    };
    const page = await list('limit=2&offset=1&order=desc');
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
    const processed = await list('processed=true');
    expect(processed.items.every((f: { processed: boolean }) => f.processed)).toBe(true);
    const unprocessed = await list('processed=false');
    expect(unprocessed.items.every((f: { processed: boolean }) => !f.processed)).toBe(true);
    const all = await list('');
    expect(all.items).toHaveLength(all.total);
    expect(processed.total + unprocessed.total).toBe(all.total);
    const minibus = await list('label=MINIBUS');
    expect(minibus.total).toBeGreaterThan(0);
    expect(minibus.items.every((f: { results: Array<{ label: string }> }) => f.results[0].label === 'minibus')).toBe(true);
    expect((await list('from=2000-01-01&to=2000-12-31')).total).toBe(0);
    expect((await list(`from=${new Date(Date.now() - 3_600_000).toISOString()}`)).total).toBe(all.total);
    // What the schema refuses is FastAPI's 422; a date that matches the form but is none, a 400.
    for (const bad of ['from=yesterday', 'limit=0', 'processed=maybe', 'order=up']) {
      expect((await get(`/files/?${bad}`)).status, bad).toBe(422);
    }
    expect((await get('/files/?from=2026-13-45')).status).toBe(400);
    expect((await get('/files/abc')).status).toBe(422);
  });
});

describe('inference batches', () => {
  it('still takes the earlier body {"image_ids": [...]}, answering the original\'s list', async () => {
    const { id } = (await json(await upload(bus))).files[0];
    const response = await postJson(`${server.url}/inference/batch`, { image_ids: [id, 424242] });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-argus-skipped')).toBe('1');
    const results = await json(response);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id, model: { alias: 'squeezenet' }, predictions: [{ label: 'minibus' }, {}, {}] });
    const none = await postJson(`${server.url}/inference/batch`, { image_ids: [777777] });
    expect(none.status).toBe(400);
    expect(none.headers.get('x-argus-error-code')).toBe('no_image_recognized');
    for (const bad of [{}, { image_ids: ['x'] }, 'x']) {
      expect((await postJson(`${server.url}/inference/batch`, bad)).status).toBe(422);
    }
  });

  it('runs a batch larger than the threshold as a job, with progress, to the same result', async () => {
    const { files: uploaded } = await json(await uploadBatch([[bus, 'j1.jpg'], [zidane, 'j2.jpg'], [bus, 'j3.jpg']]));
    const ids = uploaded.map((f: { id: number }) => f.id);
    // The original's bare list; this server was started with ARGUS_RECOGNIZE_BATCH_SYNC_MAX=2.
    const response = await postJson(`${server.url}/inference/batch`, [...ids, 999999]);
    expect(response.status).toBe(202);
    const accepted = await json(response);
    expect(accepted).toMatchObject({ total: 4, status_url: `/v1/jobs/${accepted.job_id}` });
    const job = await eventually(async () => {
      const body = await json(await get(accepted.status_url));
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    }, 120_000, 200);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ done: 4, total: 4 });
    expect(job.result.results.map((r: { id: number }) => r.id).sort()).toEqual([...ids].sort());
    expect(job.result.errors).toEqual([{ id: 999999, code: 'file_not_found', message: expect.any(String) }]);
    for (const id of ids) expect((await json(await get(`/files/${id}`))).processed).toBe(true);
  });
});

describe('reports', () => {
  it('exports RFC 4180 CSV that a real parser reads back, even with commas, quotes and line breaks in a file name', async () => {
    const name = 'a,"b"\nc.jpg';
    // Commas and quotes travel in a multipart file name (undici escapes the quotes as %22).
    const [uploaded] = (await json(await upload(bus, 'a,b.jpg'))).files;
    expect(uploaded.filename).toBe('a,b.jpg');
    rename(uploaded.id, name);
    expect((await json(await get(`/files/${uploaded.id}`))).filename).toBe(name);
    await fetch(`${server.url}/inference/${uploaded.id}`, { method: 'POST' });
    // A lone line break is quoted too, as Python's csv module quotes it.
    const [lone] = (await json(await upload(bus, 'lone.jpg'))).files;
    rename(lone.id, 'd\ne.jpg');
    await fetch(`${server.url}/inference/${lone.id}`, { method: 'POST' });
    const csv = await (await get('/visualization/export/csv?extended=true')).text();
    expect(csv).toContain('"a,""b""\nc.jpg"');
    expect(csv).toContain('\r\n"d\ne.jpg",minibus,');
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    const row = rows.find((r) => r.id === String(uploaded.id));
    expect(row).toMatchObject({ filename: name, top_prediction: 'minibus', mime_type: 'image/jpeg', processed_at: expect.stringMatching(/^\d{4}-/) });
    const stats = await json(await get('/visualization/stats'));
    expect(rows).toHaveLength(stats.processed_files);
    const everything = parse(await (await get('/visualization/export/csv?include_unprocessed=true')).text(), { columns: true });
    expect(everything).toHaveLength(stats.total_files);
  });

  it('renders a self-contained HTML report in Chromium whose numbers match /visualization/stats', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium.`);
    const stats = await json(await get('/visualization/stats'));
    expect(stats.total_files).toBe(stats.processed_files + stats.unprocessed_files);
    expect(stats.confidence_histogram.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(stats.processed_files);
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
      expect(Number(await text('#processed'))).toBe(stats.processed_files);
      expect(Number(await text('#unprocessed'))).toBe(stats.unprocessed_files);
      expect(Number(await text('#mean-inference-ms'))).toBeCloseTo(stats.mean_inference_ms, 1);
      const labels = await page.locator('#labels .bar').evaluateAll((bars) => bars.map((b) => ({ label: b.getAttribute('data-label'), count: Number(b.querySelector('.count')!.textContent) })));
      // Every label is charted; the statistics list the top 10 of them, in the same order.
      expect(labels.slice(0, 10)).toEqual(stats.top_brands);
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
    const before = await json(await get('/files/'));
    const stats = await json(await get('/visualization/stats'));
    await server.close();
    server = await startServer({ dataDir, recognizeBatchSyncMax: 2, maxEventLoopDelayMs: 0 });
    expect(await json(await get('/files/'))).toEqual(before);
    expect(await json(await get('/visualization/stats'))).toEqual(stats);
    const first = before[0];
    expect(Buffer.from(await (await get(first.path)).arrayBuffer()).length).toBe(first.size_bytes);
    const next = (await json(await upload(bus))).files[0].id;
    expect(next).toBeGreaterThan(Math.max(...before.map((f: { id: number }) => f.id)));
  });
});
