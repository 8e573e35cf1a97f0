/**
 * The car recognizer's clients, unchanged, against a real Argus with real models (squeezenet
 * recognizes: no car model is installable here, so labels are ImageNet's). Replayed: what the
 * original's document shows — its curl examples, run with curl — and what its code answers
 * (yosekit/cars-recognizer at d03368b: models/schemas.py, routers/*.py): field names and types,
 * bare JSON lists, status codes, and the CSV byte for byte as its own export code writes it with
 * Python's csv module (run here with python3). Where both are silent, what FastAPI does by
 * default: 307 to the other slash form, 422 `{"detail": [...]}`, /docs and /redoc. Bad input gets
 * a 4xx with a reason, and nothing stored is lost.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, startServer, tempDir, type TestServer } from '../helpers.js';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const bus = image('bus.jpg');
const zidane = image('zidane.jpg');
const astronaut = image('misc/astronaut.png');

/** The original's models/schemas.py field names, in its order. */
const IMAGE_METADATA = ['id', 'filename', 'path', 'upload_date', 'processed', 'results', 'mime_type', 'size_bytes'];
const INFERENCE_RESPONSE = ['id', 'filename', 'predictions'];
const STATS_RESPONSE = ['total_files', 'processed_files', 'unprocessed_files', 'top_brands'];

/** routers/visualization.py's export_csv and get_stats, over the list GET /files/ answers. */
const ORIGINAL_EXPORT = `
import csv, io, json, sys
all_files = json.load(sys.stdin)
processed_files = [f for f in all_files if f["processed"] and f["results"]]
output = io.StringIO()
writer = csv.writer(output)
writer.writerow(["filename", "top_prediction", "confidence", "all_predictions"])
for f in processed_files:
    top = f["results"][0]
    all_preds = ", ".join(f"{r['label']} ({r['confidence']})" for r in f["results"])
    writer.writerow([f["filename"], top["label"], top["confidence"], all_preds])
sys.stdout.write(output.getvalue())
`;
const ORIGINAL_STATS = `
import json, sys
from collections import Counter
from datetime import datetime
all_files = json.load(sys.stdin)
for f in all_files:
    datetime.fromisoformat(f["upload_date"])  # pydantic's datetime, as a Python client reads it back
total = len(all_files)
processed = sum(1 for f in all_files if f["processed"])
brand_counter = Counter()
for f in all_files:
    if f["results"] and len(f["results"]) > 0:
        brand_counter[f["results"][0]["label"]] += 1
top_brands = [{"label": label, "count": count} for label, count in brand_counter.most_common(10)]
print(json.dumps({"total_files": total, "processed_files": processed, "unprocessed_files": total - processed, "top_brands": top_brands}))
`;

let server: TestServer;
let url: string;
let work: string;
let calls = 0;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs curl in the work folder (where car.jpg and the other files are), as the document does. */
async function curl(...args: string[]): Promise<Answer> {
  const n = ++calls;
  const head = join(work, `.head-${n}`);
  const out = args.includes('-o') ? join(work, args[args.indexOf('-o') + 1]) : join(work, `.body-${n}`);
  const { stdout } = await run('curl', ['-sS', '-D', head, ...(args.includes('-o') ? [] : ['-o', out]), '-w', '%{http_code}', ...args], { cwd: work });
  // With -L, one header block per response: the last is the answer's.
  const block = readFileSync(head, 'latin1').trim().split(/\r\n\r\n/).at(-1)!;
  const headers = Object.fromEntries(block.split('\r\n').slice(1).map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
  }));
  return { status: Number(stdout), headers, body: existsSync(out) ? readFileSync(out, 'utf8') : '' };
}

const parse = (answer: Answer) => JSON.parse(answer.body);
const python = (code: string, input: unknown) => execFileSync('python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' });
/** The bundled frontend's call: `fetch('/inference/batch', {method: 'POST', body: JSON.stringify(ids)})` as JSON. */
const recognizeBatch = (body: string) => fetch(`${url}/inference/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const listFiles = async () => json(await fetch(`${url}/files/`));

function expectImageMetadata(meta: Record<string, unknown>): void {
  expect(Object.keys(meta).slice(0, IMAGE_METADATA.length)).toEqual(IMAGE_METADATA);
  expect(meta).toMatchObject({ id: expect.any(Number), filename: expect.any(String), path: expect.any(String), processed: expect.any(Boolean), mime_type: expect.stringMatching(/^image\/(jpeg|png)$/), size_bytes: expect.any(Number) });
  expect(meta.upload_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  if (meta.processed) expectPredictions(meta.results as Array<Record<string, unknown>>);
  else expect(meta.results).toBeNull();
}

/** The original's top 3, best first, each `{label, confidence}` with the confidence rounded to 4 places. */
function expectPredictions(predictions: Array<Record<string, unknown>>): void {
  expect(predictions).toHaveLength(3);
  for (const p of predictions) {
    expect(Object.keys(p).slice(0, 2)).toEqual(['label', 'confidence']);
    expect(p.label).toEqual(expect.any(String));
    expect(Math.round((p.confidence as number) * 10_000) / 10_000).toBe(p.confidence);
  }
  const confidences = predictions.map((p) => p.confidence as number);
  expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
}

function expectInferenceResponse(body: Record<string, unknown>): void {
  expect(Object.keys(body).slice(0, INFERENCE_RESPONSE.length)).toEqual(INFERENCE_RESPONSE);
  expectPredictions(body.predictions as Array<Record<string, unknown>>);
}

/** FastAPI's `{"detail": "…"}` with the status, and Argus's code in its header. */
async function expectDetail(response: Response | Answer, status: number, code?: string): Promise<string> {
  const body = response instanceof Response ? await json(response) : parse(response);
  const headers = response instanceof Response ? Object.fromEntries(response.headers) : response.headers;
  expect({ status: response.status, detail: typeof body.detail }).toEqual({ status, detail: 'string' });
  expect(Object.keys(body)).toEqual(['detail']);
  if (code) expect(headers['x-argus-error-code']).toBe(code);
  return body.detail;
}

/** FastAPI's 422: `{"detail": [{type, loc, msg, input}]}`. */
async function expectValidation(response: Response | Answer, loc: Array<string | number>, type: string): Promise<void> {
  const body = response instanceof Response ? await json(response) : parse(response);
  expect(response.status).toBe(422);
  expect(body.detail[0]).toMatchObject({ type, loc, msg: expect.any(String) });
}

beforeAll(async () => {
  work = tempDir('argus-car-recognizer-');
  writeFileSync(join(work, 'car.jpg'), bus);
  writeFileSync(join(work, 'car2.png'), astronaut);
  writeFileSync(join(work, 'car3.jpg'), zidane);
  // Overload shedding (event-loop delay) is off: this shared machine stalls at times, and overload is not under test here.
  server = await startServer({ maxEventLoopDelayMs: 0 });
  url = server.url;
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the document's curl examples", () => {
  it('upload → inference → the file → the CSV export, each answered as the original answered it', async () => {
    // curl -X POST http://localhost:8000/upload/ -F "file=@car.jpg"
    const uploaded = await curl('-X', 'POST', `${url}/upload/`, '-F', 'file=@car.jpg');
    expect(uploaded.status).toBe(200);
    expect(Object.keys(parse(uploaded))).toEqual(['message', 'files']);
    const [meta] = parse(uploaded).files;
    expectImageMetadata(meta);
    expect(meta).toMatchObject({ id: 1, filename: 'car.jpg', processed: false, results: null, mime_type: 'image/jpeg', size_bytes: bus.length });

    // curl -X POST http://localhost:8000/inference/1
    const inferred = await curl('-X', 'POST', `${url}/inference/1`);
    expect(inferred.status).toBe(200);
    const recognition = parse(inferred);
    expectInferenceResponse(recognition);
    expect(recognition).toMatchObject({ id: 1, filename: 'car.jpg' });
    expect(recognition.predictions[0].label).toBe('minibus');

    // curl http://localhost:8000/files/1
    const file = parse(await curl(`${url}/files/1`));
    expectImageMetadata(file);
    expect(file).toMatchObject({ id: 1, processed: true, results: recognition.predictions });

    // curl http://localhost:8000/visualization/export/csv -o results.csv
    const csv = await curl(`${url}/visualization/export/csv`, '-o', 'results.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename=results.csv');
    const written = readFileSync(join(work, 'results.csv'), 'utf8');
    expect(written).toBe(python(ORIGINAL_EXPORT, await listFiles()));
    expect(written).toMatch(/^filename,top_prediction,confidence,all_predictions\r\ncar\.jpg,minibus,0\.\d+,"minibus \(0\.\d+\), /);
  });
});

describe("the rest of the original's API, as its code answers", () => {
  it('stores a batch (field files, repeated), PNG too', async () => {
    const response = await curl('-X', 'POST', `${url}/upload/batch`, '-F', 'files=@car2.png', '-F', 'files=@car3.jpg');
    expect(response.status).toBe(200);
    const body = parse(response);
    expect(Object.keys(body).slice(0, 2)).toEqual(['message', 'files']);
    expect(body.message).toBe('Files uploaded: 2.');
    body.files.forEach(expectImageMetadata);
    expect(body.files.map((f: { id: number; mime_type: string }) => [f.id, f.mime_type])).toEqual([[2, 'image/png'], [3, 'image/jpeg']]);
  });

  it('recognizes the bare JSON list of ids the bundled frontend sends: a bare list back, in order, unknown ids skipped', async () => {
    const response = await recognizeBatch(JSON.stringify([2, 3]));
    expect(response.status).toBe(200);
    const results = await json(response);
    expect(Array.isArray(results)).toBe(true);
    results.forEach(expectInferenceResponse);
    expect(results.map((r: { id: number; filename: string }) => [r.id, r.filename])).toEqual([[2, 'car2.png'], [3, 'car3.jpg']]);

    // As the original's loop: every id it was sent, in order, a repeated one again; a missing one skipped.
    const mixed = await recognizeBatch('[3, 4040, 2, 3]');
    expect(mixed.status).toBe(200);
    expect(mixed.headers.get('x-argus-skipped')).toBe('1');
    expect((await json(mixed)).map((r: { id: number }) => r.id)).toEqual([3, 2, 3]);

    // None succeeded (an empty list too): 400 {"detail": "…"}.
    expect(await expectDetail(await recognizeBatch('[4040, 4041]'), 400, 'no_image_recognized')).toMatch(/4040/);
    await expectDetail(await recognizeBatch('[]'), 400, 'no_image_recognized');
  });

  it('lists every file as a bare JSON list of ImageMetadata; stats agree with the original\'s own computation', async () => {
    const response = await fetch(`${url}/files/`);
    const files = await json(response);
    expect(files.map((f: { id: number }) => f.id)).toEqual([1, 2, 3]);
    expect(response.headers.get('x-total-count')).toBe('3');
    files.forEach(expectImageMetadata);

    const stats = await json(await fetch(`${url}/visualization/stats`));
    expect(Object.keys(stats).slice(0, STATS_RESPONSE.length)).toEqual(STATS_RESPONSE);
    // ORIGINAL_STATS also reads each upload_date back with datetime.fromisoformat, as a Python client would.
    expect(JSON.parse(python(ORIGINAL_STATS, files))).toEqual({
      total_files: stats.total_files, processed_files: stats.processed_files, unprocessed_files: stats.unprocessed_files, top_brands: stats.top_brands,
    });
    expect(stats).toMatchObject({ total_files: 3, processed_files: 3, unprocessed_files: 0 });
  });

  it('reprocess answers ImageMetadata with processed=false and results=null; the export follows', async () => {
    const response = await curl('-X', 'POST', `${url}/files/2/reprocess`);
    expect(response.status).toBe(200);
    expectImageMetadata(parse(response));
    expect(parse(response)).toMatchObject({ id: 2, processed: false, results: null });
    expect(parse(await curl(`${url}/files/2`))).toMatchObject({ processed: false, results: null });
    const csv = await curl(`${url}/visualization/export/csv`);
    expect(csv.body).toBe(python(ORIGINAL_EXPORT, await listFiles()));
    expect(csv.body).not.toContain('car2.png');
    expect((await json(await fetch(`${url}/visualization/stats`))).processed_files).toBe(2);
  });

  it('deletes a file with {"message"}; after it, and for any unknown id, 404 {"detail"}', async () => {
    const deleted = await curl('-X', 'DELETE', `${url}/files/3`);
    expect(deleted.status).toBe(200);
    expect(parse(deleted)).toMatchObject({ message: "File 'car3.jpg' deleted." });
    for (const [method, path] of [['GET', '/files/3'], ['DELETE', '/files/3'], ['POST', '/inference/3'], ['POST', '/files/3/reprocess'], ['GET', '/files/0'], ['GET', '/files/-1']]) {
      await expectDetail(await curl('-X', method, `${url}${path}`), 404, 'file_not_found');
    }
    expect((await listFiles()).map((f: { id: number }) => f.id)).toEqual([1, 2]);
  });

  it('serves the HTML report', async () => {
    const report = await fetch(`${url}/visualization/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await report.text()).toContain('car.jpg');
  });

  it('answers a batch of any size at once with the list (no 202 job unless ARGUS_RECOGNIZE_BATCH_SYNC_MAX is lowered)', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const response = await recognizeBatch(JSON.stringify(ids));
    expect(response.status).toBe(200);
    expect((await json(response)).map((r: { id: number }) => r.id)).toEqual([1, 2]);
    expect(response.headers.get('x-argus-skipped')).toBe('38');
  });
});

describe('what FastAPI does where the document is silent', () => {
  it('redirects the other slash form of every path with 307, the query string kept', async () => {
    for (const [method, path, target] of [
      ['POST', '/upload', '/upload/'],
      ['POST', '/upload/batch/', '/upload/batch'],
      ['GET', '/files', '/files/'],
      ['GET', '/files?processed=true&limit=1', '/files/?processed=true&limit=1'],
      ['GET', '/files/1/', '/files/1'],
      ['DELETE', '/files/1/', '/files/1'],
      ['POST', '/files/1/reprocess/', '/files/1/reprocess'],
      ['POST', '/inference/1/', '/inference/1'],
      ['POST', '/inference/batch/', '/inference/batch'],
      ['GET', '/visualization/stats/', '/visualization/stats'],
      ['GET', '/visualization/export/csv/', '/visualization/export/csv'],
    ]) {
      const response = await fetch(`${url}${path}`, { method, redirect: 'manual' });
      expect({ path, method, status: response.status, location: response.headers.get('location') }).toEqual({ path, method, status: 307, location: `${url}${target}` });
    }
    // Clients resend the method and the body to the new location: the file is stored, the ids recognized.
    const upload = await curl('-L', '-X', 'POST', `${url}/upload`, '-F', 'file=@car.jpg');
    expect(upload.status).toBe(200);
    expect(parse(upload).files[0]).toMatchObject({ filename: 'car.jpg', size_bytes: bus.length });
    const batch = await fetch(`${url}/inference/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    expect(batch.status).toBe(200);
    expect((await json(batch))[0].id).toBe(1);
    const page = await fetch(`${url}/files?limit=1`);
    expect((await json(page)).map((f: { id: number }) => f.id)).toEqual([1]);
  });

  it('answers 422 {"detail": [...]} for a missing file part, a non-integer id and a body that is not a list of ints', async () => {
    await expectValidation(await curl('-X', 'POST', `${url}/upload/`, '-F', 'other=x'), ['body', 'file'], 'missing');
    await expectValidation(await curl('-X', 'POST', `${url}/upload/`), ['body', 'file'], 'missing');
    await expectValidation(await curl('-X', 'POST', `${url}/upload/batch`, '-F', 'other=x'), ['body', 'files'], 'missing');
    for (const [method, path] of [['GET', '/files/abc'], ['DELETE', '/files/abc'], ['POST', '/inference/abc'], ['POST', '/files/1.5/reprocess']]) {
      await expectValidation(await curl('-X', method, `${url}${path}`), ['path', 'image_id'], 'int_parsing');
    }
    await expectValidation(await recognizeBatch('["x"]'), ['body', 0], 'int_parsing');
    await expectValidation(await recognizeBatch('{"ids": [1]}'), ['body'], 'list_type');
    await expectValidation(await recognizeBatch('[1, 2'), ['body', 0], 'json_invalid');
    await expectValidation(await recognizeBatch(JSON.stringify(Array.from({ length: 10_001 }, (_, i) => i + 1))), ['body'], 'too_long');
  });

  it('serves /docs (Swagger UI) and the OpenAPI document with the original\'s paths', async () => {
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    const paths = Object.keys((await json(await fetch(`${url}/openapi.json`))).paths);
    for (const path of ['/upload/', '/upload/batch', '/inference/batch', '/inference/{image_id}', '/files/', '/files/{image_id}', '/files/{image_id}/reprocess',
      '/visualization/stats', '/visualization/export/csv', '/visualization/report']) expect(paths).toContain(path);
    // The redirects are not API.
    expect(paths).not.toContain('/upload');
  });

  it('serves /redoc, which renders the API in a browser with nothing loaded from elsewhere', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium.`);
    const page = await fetch(`${url}/redoc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).not.toMatch(/https?:\/\//);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const tab = await browser.newPage();
      // Every request that reaches the network passes here; an outside one would fail (no network) and be listed.
      const fetched: string[] = [];
      await tab.route('**/*', (route) => {
        fetched.push(route.request().url());
        return route.request().url().startsWith(url) ? route.continue() : route.abort();
      });
      const blocked: string[] = [];
      tab.on('requestfailed', (request) => blocked.push(`${request.failure()?.errorText} ${request.url()}`));
      await tab.goto(`${url}/redoc`);
      await tab.locator('h1').first().waitFor({ timeout: 60_000 });
      expect(await tab.locator('h1').first().innerText()).toMatch(/^Argus/);
      // The recognizer's operations, rendered from /openapi.json.
      await tab.locator('h2').filter({ hasText: 'Store one image' }).first().waitFor({ timeout: 30_000 });
      expect(fetched.filter((u) => !u.startsWith(url))).toEqual([]);
      expect(fetched).toContain(`${url}/redoc/redoc.standalone.js`);
      // The bundle's one outside reference (Redocly's logo) is stopped by the page's policy, before any network.
      expect(blocked.every((line) => line.startsWith('csp '))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

describe('bad input: a 4xx with a reason, nothing stored, nothing lost, still serving', () => {
  it('refuses bad uploads with 400 as the original did (name, type, size, content), and keeps every stored file', async () => {
    const before = await listFiles();
    writeFileSync(join(work, 'car.gif'), bus);
    writeFileSync(join(work, 'car'), bus);
    writeFileSync(join(work, 'notes.jpg'), 'This is a text file pretending to be a photo.\n'.repeat(20));
    writeFileSync(join(work, 'gif.png'), Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'));
    writeFileSync(join(work, 'broken.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(2000, 7)]));
    writeFileSync(join(work, 'empty.jpg'), Buffer.alloc(0));
    // Size is checked before content, as the original did: JPEG magic bytes, then 11 MB of nothing.
    writeFileSync(join(work, 'big.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(11 * 1024 * 1024)]));
    for (const [name, code, reason] of [
      ['car.gif', 'file_type_not_allowed', /\.gif.*jpg, jpeg and png/],
      ['car', 'file_type_not_allowed', /no extension/],
      ['notes.jpg', 'file_not_an_image', /not JPEG or PNG/],
      ['gif.png', 'file_not_an_image', /GIF/],
      ['broken.jpg', 'file_not_an_image', /damaged/],
      ['empty.jpg', 'file_not_an_image', /damaged or not an image/],
      ['big.jpg', 'file_too_large', /10 MB/],
    ] as const) {
      const response = await curl('-X', 'POST', `${url}/upload/`, '-F', `file=@${name}`);
      expect(await expectDetail(response, 400, code), name).toMatch(reason);
    }
    // A batch stores its good files and names the bad ones; with none good it is a 400 naming each.
    const mixed = parse(await curl('-X', 'POST', `${url}/upload/batch`, '-F', 'files=@notes.jpg', '-F', 'files=@car3.jpg', '-F', 'files=@car.gif'));
    expect(mixed.message).toMatch(/^Files uploaded: 1\. Errors: notes\.jpg: .+; car\.gif: /);
    expect(mixed.files.map((f: { filename: string }) => f.filename)).toEqual(['car3.jpg']);
    const none = await curl('-X', 'POST', `${url}/upload/batch`, '-F', 'files=@notes.jpg', '-F', 'files=@big.jpg');
    expect(await expectDetail(none, 400, 'no_valid_files')).toMatch(/^notes\.jpg: .+; big\.jpg: /);

    const after = await listFiles();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((f: { filename: string }) => f.filename)).toEqual(['car3.jpg']);
  });

  it('keeps each of many concurrent uploads, good and bad, apart: the good ones stored with their own bytes', async () => {
    const sent = [['car.jpg', bus], ['car2.png', astronaut], ['car3.jpg', zidane]] as const;
    const answers = await Promise.all([...sent, ...sent].flatMap(([name], i) => [
      curl('-X', 'POST', `${url}/upload/`, '-F', `file=@${name}`),
      curl('-X', 'POST', `${url}/upload/`, '-F', `file=@${i % 2 ? 'notes.jpg' : 'big.jpg'}`),
    ]));
    const good = answers.filter((_, i) => i % 2 === 0);
    expect(good.map((a) => a.status)).toEqual(new Array(6).fill(200));
    expect(answers.filter((_, i) => i % 2 === 1).map((a) => a.status)).toEqual(new Array(6).fill(400));
    for (const [i, answer] of good.entries()) {
      const [file] = parse(answer).files;
      const [name, bytes] = sent[i % 3];
      expect(file.filename).toBe(name);
      const content = await fetch(`${url}${file.path}`);
      expect(Buffer.from(await content.arrayBuffer()).equals(bytes), name).toBe(true);
    }
    // Still serving: a new file is recognized.
    const { id } = parse(good[0]).files[0];
    expectInferenceResponse(parse(await curl('-X', 'POST', `${url}/inference/${id}`)));
  });
});

describe('DELETE /files/ (the bundled frontend\'s "delete all")', () => {
  it('deletes every file; then the list is empty, the export a 404 {"detail"}, and ids go on (never reused)', async () => {
    const last = Math.max(...(await listFiles()).map((f: { id: number }) => f.id));
    const response = await curl('-X', 'DELETE', `${url}/files/`);
    expect(response.status).toBe(200);
    expect(parse(response).message).toMatch(/^Deleted \d+ file\(s\)\.$/);
    const empty = await fetch(`${url}/files/`);
    expect(await json(empty)).toEqual([]);
    expect(empty.headers.get('x-total-count')).toBe('0');
    await expectDetail(await curl(`${url}/visualization/export/csv`), 404, 'nothing_to_export');
    expect(await json(await fetch(`${url}/visualization/stats`))).toMatchObject({ total_files: 0, processed_files: 0, unprocessed_files: 0, top_brands: [] });
    const again = parse(await curl('-X', 'POST', `${url}/upload/`, '-F', 'file=@car.jpg')).files[0];
    expect(again.id).toBe(last + 1);
  });
});
