import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

interface Line {
  text: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
  polygon: Array<[number, number]>;
}

let server: TestServer;
const ocr = () => `${server.url}/v1/ocr`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

/** Renders lines of text with a system font through librsvg, so the expected answer is known exactly. */
async function render(lines: Array<{ text: string; x: number; y: number }>, { width = 640, height = 120, size = 44, rotate = 0 } = {}): Promise<Buffer> {
  const texts = lines.map((l) => `<text x="${l.x}" y="${l.y}" font-family="DejaVu Sans" font-size="${size}" fill="black">${l.text}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>`
    + `<g transform="rotate(${rotate} ${width / 2} ${height / 2})">${texts}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const ARGUS = [{ text: 'ARGUS 2026 OCR TEST', x: 20, y: 75 }];

describe('POST /v1/ocr with PP-OCRv4', () => {
  it('reads a rendered line exactly, with its box where the text was drawn', async () => {
    const response = await postImage(ocr(), await render(ARGUS), {}, 'image', 'argus.png');
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ text: 'ARGUS 2026 OCR TEST', width: 640, height: 120, model: { alias: 'ppocr-v4' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const key of ['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'queue_ms', 'total_ms']) expect(body.timings[key], key).toBeGreaterThanOrEqual(0);
    const [line] = body.lines as Line[];
    expect(line.confidence).toBeGreaterThan(0.9);
    // DejaVu Sans 44 px from x = 20 on a baseline at y = 75: the capitals span about x 20–535, y 43–75.
    expect(line.box.x1).toBeGreaterThanOrEqual(5);
    expect(line.box.x1).toBeLessThanOrEqual(25);
    expect(line.box.x2).toBeGreaterThanOrEqual(530);
    expect(line.box.x2).toBeLessThanOrEqual(560);
    expect(line.box.y1).toBeGreaterThanOrEqual(30);
    expect(line.box.y2).toBeLessThanOrEqual(90);
    expect(line.polygon).toHaveLength(4);
  });

  it('reads several lines in reading order, a slanted line, and a photo stored sideways with EXIF orientation', async () => {
    const page = await render([
      { text: 'Invoice 4711', x: 30, y: 70 },
      { text: 'Total 99.50 EUR', x: 30, y: 150 },
      { text: 'paid', x: 460, y: 150 },
    ], { width: 700, height: 220, size: 40 });
    expect((await json(await postImage(ocr(), page))).text).toBe('Invoice 4711\nTotal 99.50 EUR paid');

    const slanted = await json(await postImage(ocr(), await render([{ text: 'ROTATED LINE 42', x: 120, y: 135 }], { height: 240, rotate: -12 })));
    expect(slanted.text).toBe('ROTATED LINE 42');
    const [p0, p1] = slanted.lines[0].polygon;
    // The quadrilateral follows the slant: its top edge rises by about tan(12°) ≈ 0.21.
    expect((p0[1] - p1[1]) / (p1[0] - p0[0])).toBeGreaterThan(0.1);

    // Stored rotated a quarter turn, with EXIF orientation 6 saying how to turn it back.
    const sideways = await sharp(await render(ARGUS)).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    expect(await json(await postImage(ocr(), sideways))).toMatchObject({ width: 640, height: 120, text: 'ARGUS 2026 OCR TEST' });
  });

  it('reads a large image, whose lines are cropped from a reduced copy, with boxes in its own pixels', async () => {
    // 3200 px wide: over 3× the detector's 960, so the lines come from a 2880 px copy.
    const large = await render([{ text: 'ARGUS 2026 OCR TEST', x: 100, y: 375 }], { width: 3200, height: 600, size: 220 });
    const body = await json(await postImage(ocr(), large));
    expect(body).toMatchObject({ width: 3200, height: 600, text: 'ARGUS 2026 OCR TEST' });
    // 5× the 44 px rendering: the capitals span about x 100–2675, y 215–375.
    const { box } = body.lines[0] as Line;
    expect(box.x1).toBeGreaterThan(40);
    expect(box.x1).toBeLessThan(130);
    expect(box.x2).toBeGreaterThan(2600);
    expect(box.x2).toBeLessThan(2800);
    expect(box.y1).toBeGreaterThan(150);
    expect(box.y2).toBeLessThan(450);
  });

  it('reads the scanned page line by line, top to bottom, in the page\'s pixels', async () => {
    const body = await json(await postImage(ocr(), image('misc/page.png')));
    const texts = (body.lines as Line[]).map((l) => l.text);
    expect(texts.slice(0, 6)).toEqual([
      'Region-based segmentation',
      'Let us first determine markers of the coins and the',
      'background. These markers are pixels that we can label',
      'unambiguously as either object or background. Here,',
      'the markers are found at the two extreme parts of the',
      'histogram of grey values:',
    ]);
    expect(texts[6]).toMatch(/markers.*np\.zeros.like\(coins\)/);
    expect(body.text.split('\n')).toEqual(texts);
    const tops = (body.lines as Line[]).map((l) => l.box.y1);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    expect(Math.max(...(body.lines as Line[]).map((l) => l.box.x2))).toBeLessThanOrEqual(384);
  });

  it('finds the handwritten lines of text.png when enlarged; the printed-text recogniser cannot read them', async () => {
    // At its own 448×172 the detector finds nothing. Enlarged 4× (min_side 736) it finds the written
    // regions; PP-OCRv4 reads print, so on these handwritten formulae it returns fragments below
    // the default 0.5 score. min_confidence 0 returns every region found.
    const bytes = image('misc/text.png');
    const native = await json(await postImage(ocr(), bytes, { min_confidence: '0' }));
    expect(native.lines).toEqual([]);
    const enlarged = await json(await postImage(ocr(), bytes, { min_side: '736', max_side: '2048', min_confidence: '0' }));
    expect(enlarged.lines.length).toBeGreaterThanOrEqual(4);
    const rows = new Set((enlarged.lines as Line[]).map((l) => Math.floor((l.box.y1 + l.box.y2) / 2 / 43)));
    expect(rows.size, 'regions on at least three of the four written rows').toBeGreaterThanOrEqual(3);
    for (const l of enlarged.lines as Line[]) expect(l.box.x2).toBeLessThanOrEqual(448);
  });

  it('returns no lines for an image without text, and accepts JSON base64 and data URLs', async () => {
    const blank = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#888' } }).png().toBuffer();
    expect(await json(await postJson(ocr(), { image: blank.toString('base64') }))).toMatchObject({ text: '', lines: [], width: 200, height: 100 });
    const rendered = await render(ARGUS);
    const viaJson = await json(await postJson(ocr(), { image: `data:image/png;base64,${rendered.toString('base64')}`, min_confidence: 0.9 }));
    expect(viaJson.text).toBe('ARGUS 2026 OCR TEST');
  });

  it('runs as an async job with the same answer', async () => {
    const rendered = await render(ARGUS);
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'ocr', image: rendered.toString('base64'), params: { max_side: 640 } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    }, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ text: 'ARGUS 2026 OCR TEST', model: { alias: 'ppocr-v4' } });
  });
});

describe('bad input to /v1/ocr gets a clear 4xx and the server keeps serving', () => {
  async function expectError(response: Response, status: number, code: string): Promise<string> {
    const body = await json(response);
    expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
    expect(body.error.message.length).toBeGreaterThan(10);
    return body.error.message;
  }

  it('a wrong field, text instead of an image, a bad parameter, an image too small, a detector as the model', async () => {
    await expectError(await postImage(ocr(), image('misc/page.png'), {}, 'picture'), 400, 'missing_image');
    await expectError(await fetch(ocr(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'ARGUS' }), 415, 'unsupported_media_type');
    await expectError(await postJson(ocr(), { text: 'ARGUS' }), 400, 'missing_image');
    await expectError(await postImage(ocr(), Buffer.from('just some text, not an image')), 415, 'unsupported_media_type');
    await expectError(await postImage(ocr(), image('misc/page.png'), { min_confidence: '2' }), 400, 'invalid_params');
    await expectError(await postImage(ocr(), image('misc/page.png'), { max_side: '16' }), 400, 'invalid_params');
    await expectError(await postImage(ocr(), image('misc/page.png'), { language: 'en' }), 400, 'invalid_params');
    const tiny = await sharp({ create: { width: 40, height: 6, channels: 3, background: '#fff' } }).png().toBuffer();
    expect(await expectError(await postImage(ocr(), tiny), 422, 'image_too_small')).toMatch(/40×6.*8 px/);
    await expectError(await postImage(ocr(), image('misc/page.png'), { model: 'yolov8n' }), 400, 'model_task_mismatch');
    // Refused at submit: nothing that cannot run is queued.
    await expectError(await postJson(`${server.url}/v1/jobs`, { task: 'ocr', image: tiny.toString('base64') }), 422, 'image_too_small');
    expect((await json(await postImage(ocr(), await render(ARGUS)))).text).toBe('ARGUS 2026 OCR TEST');
  });
});
