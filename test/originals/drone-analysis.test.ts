/**
 * The drone/CCTV analysis service's API, replayed as its clients (and its Locust load test) sent
 * it, against real servers with the real yolov8n: POST /v1/analyze with its JSON body (on the same
 * path as the native analyze), /v1/analyze_async + /v1/result_async polling, /v1/result/{id},
 * GET /health, FastAPI's 422s, its ok:false failures, and its pipeline_config.json.
 */
import { createHash, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, tempDir, type TestServer } from '../helpers.js';

const bus = image('bus.jpg');
const zidane = image('zidane.jpg');
const dir = tempDir('argus-drone-');
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ dataDir: join(dir, 'data') });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The locustfile's body: `locust-<uuid hex>`, the image's relative path, its base64, a UTC ISO time. */
function originalBody(bytes: Buffer, imageId = 'base/base_001.jpg') {
  return {
    request_id: `locust-${randomUUID().replace(/-/g, '')}`,
    image_id: imageId,
    image_base64: bytes.toString('base64'),
    requested_at: new Date().toISOString().replace('Z', '+00:00'),
  };
}

const LABELS = ['person', 'vehicle', 'fire', 'smoke', 'accident', 'unknown'];
const VEHICLES = new Set(['car', 'motorcycle', 'bus', 'truck']);

interface NativeObject {
  label: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

/** The native analysis of the same frame with the camera the original's API uses (Ultralytics' defaults). */
async function nativeAnalysis(bytes: Buffer) {
  const response = await postJson(`${server.url}/v1/analyze`, { image: bytes.toString('base64'), camera: { conf: 0.25, iou: 0.7 } });
  expect(response.status).toBe(200);
  return json(response) as Promise<{ objects: NativeObject[]; description: string; risk_level: string }>;
}

/** What the original's pipeline made of native objects: its labels and `int()` boxes. */
function expectedObjects(objects: NativeObject[]) {
  return objects.map((o) => ({
    label: o.label === 'person' ? 'person' : VEHICLES.has(o.label) ? 'vehicle' : 'unknown',
    confidence: o.confidence,
    bbox_xyxy: [Math.trunc(o.box.x1), Math.trunc(o.box.y1), Math.trunc(o.box.x2), Math.trunc(o.box.y2)],
  }));
}

function expectResultShape(result: Record<string, unknown>) {
  expect(Object.keys(result).sort()).toEqual(['caption', 'image_id', 'objects', 'result_id', 'risk_level']);
  for (const o of result.objects as Array<{ label: string; confidence: number; bbox_xyxy: number[] }>) {
    expect(LABELS).toContain(o.label);
    expect(o.confidence).toBeGreaterThanOrEqual(0);
    expect(o.confidence).toBeLessThanOrEqual(1);
    expect(o.bbox_xyxy).toHaveLength(4);
    for (const v of o.bbox_xyxy) expect(Number.isInteger(v)).toBe(true);
  }
}

describe('POST /v1/analyze with the original body (the sync locust task)', () => {
  it('answers the original AnalyzeResponse: people and the bus of bus.jpg, int boxes, a caption', async () => {
    const body = originalBody(bus);
    const response = await postJson(`${server.url}/v1/analyze`, body);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const answer = await json(response);
    expect(Object.keys(answer).sort()).toEqual(['error_code', 'error_message', 'ok', 'response_id', 'result']);
    expect(answer).toMatchObject({ ok: true, error_code: null, error_message: null });
    expect(answer.response_id).toMatch(/^[0-9a-f-]{36}$/);
    const { result } = answer;
    expectResultShape(result);
    expect(result.image_id).toBe('base/base_001.jpg');
    expect(result.risk_level).toBe('normal');
    const labels = result.objects.map((o: { label: string }) => o.label);
    expect(labels.filter((l: string) => l === 'person').length).toBeGreaterThanOrEqual(3);
    expect(labels).toContain('vehicle');

    // The same frame through the native analyze: the adapter only translates it.
    const native = await nativeAnalysis(bus);
    expect(result.objects).toEqual(expectedObjects(native.objects));
    expect(result.caption).toBe(native.description);
    expect(result.caption).toMatch(/people and a bus in view/);
  });

  it('keeps the analysis: GET /v1/result/{result_id} returns its row; unknown ids are NOT_FOUND (200)', async () => {
    const body = originalBody(zidane, 'cctv/zidane.jpg');
    const { result } = await json(await postJson(`${server.url}/v1/analyze`, body));
    const stored = await fetch(`${server.url}/v1/result/${result.result_id}`);
    expect(stored.status).toBe(200);
    const { ok, data } = await json(stored);
    expect(ok).toBe(true);
    expect(data).toEqual({
      analysis_id: result.result_id,
      request_id: body.request_id,
      risk_level: result.risk_level,
      objects: result.objects,
      caption: result.caption,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      image_id: 'cctv/zidane.jpg',
      image_path: null,
      image_sha256: createHash('sha256').update(zidane).digest('hex'),
    });
    expect(Math.abs(Date.parse(`${data.created_at.replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(60_000);

    for (const id of ['12', randomUUID()]) {
      const missing = await fetch(`${server.url}/v1/result/${id}`);
      expect(missing.status).toBe(200);
      expect(await json(missing)).toEqual({ ok: false, error_code: 'NOT_FOUND' });
    }
    // A native job is not one of this surface's analyses.
    const native = await json(await postJson(`${server.url}/v1/jobs`, { task: 'detect', image: bus.toString('base64') }));
    expect(await json(await fetch(`${server.url}/v1/result/${native.id}`))).toEqual({ ok: false, error_code: 'NOT_FOUND' });
  });

  it('answers a pipeline failure as the original: 200, ok false, INTERNAL_ERROR: <exception name>', async () => {
    // b64decode raised binascii.Error on bad base64; PIL UnidentifiedImageError on bytes that are no image.
    const cases: Array<[string, string]> = [
      ['not base64 at all!', 'INTERNAL_ERROR: Error'],
      [Buffer.from('plain text, not a picture').toString('base64'), 'INTERNAL_ERROR: UnidentifiedImageError'],
      ['', 'INTERNAL_ERROR: UnidentifiedImageError'],
    ];
    for (const [payload, code] of cases) {
      const response = await postJson(`${server.url}/v1/analyze`, { ...originalBody(bus), image_base64: payload });
      expect(response.status).toBe(200);
      const answer = await json(response);
      expect(answer).toMatchObject({ ok: false, result: null, error_code: code });
      expect(answer.error_message).toEqual(expect.any(String));
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses an invalid body with FastAPI\'s 422, every problem in field order', async () => {
    const { image_base64: _dropped, ...noImage } = originalBody(bus);
    const missing = await postJson(`${server.url}/v1/analyze`, noImage);
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json(missing)).toEqual({ detail: [{ type: 'missing', loc: ['body', 'image_base64'], msg: 'Field required', input: noImage }] });

    const wrong = await postJson(`${server.url}/v1/analyze`, { request_id: 7, image_id: 'x.jpg' });
    expect(wrong.status).toBe(422);
    expect((await json(wrong)).detail.map((d: { type: string; loc: unknown[] }) => [d.type, d.loc])).toEqual([
      ['string_type', ['body', 'request_id']],
      ['missing', ['body', 'image_base64']],
    ]);
    // pydantic does not turn null into a string.
    const nullId = await postJson(`${server.url}/v1/analyze`, { ...originalBody(bus), request_id: null });
    expect(nullId.status).toBe(422);
    const when = await postJson(`${server.url}/v1/analyze`, { ...originalBody(bus), requested_at: 'yesterday' });
    expect(when.status).toBe(422);
    expect((await json(when)).detail).toHaveLength(1);
    expect((await json(await postJson(`${server.url}/v1/analyze`, { ...originalBody(bus), requested_at: '2026-02-01T09:30:00' }))).ok).toBe(true);

    const asyncMissing = await postJson(`${server.url}/v1/analyze_async`, noImage);
    expect(asyncMissing.status).toBe(422);
    expect((await json(asyncMissing)).detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'image_base64'] });
  });
});

describe('the native POST /v1/analyze on the same path', () => {
  it('still answers native bodies natively, and native errors in the native shape', async () => {
    const native = await nativeAnalysis(bus);
    expect(native).toMatchObject({ risk_level: 'none', description: expect.stringMatching(/in view; no rule triggered\.$/) });
    expect(native).toHaveProperty('camera_id', 'inline');
    const noImage = await postJson(`${server.url}/v1/analyze`, { camera_id: 'gate' });
    expect(noImage.status).toBe(400);
    expect((await json(noImage)).error.code).toBe('missing_image');
    const multipart = await postImage(`${server.url}/v1/analyze`, bus, { camera: JSON.stringify({ conf: 0.25, iou: 0.7 }) });
    expect(multipart.status).toBe(200);
    expect((await json(multipart)).objects).toEqual(native.objects);
  });
});

describe('POST /v1/analyze_async and GET /v1/result_async/{task_id} (the async locust task)', () => {
  it('queues, and the polled result is the analysis, readable by id afterwards', async () => {
    const body = originalBody(bus);
    const response = await postJson(`${server.url}/v1/analyze_async`, body);
    expect(response.status).toBe(200);
    const queued = await json(response);
    expect(queued).toEqual({ response_id: expect.any(String), ok: true, task_id: expect.any(String), queue: 'analyze.default', error_code: null, error_message: null });

    const done = await eventually(async () => {
      const polled = await json(await fetch(`${server.url}/v1/result_async/${queued.task_id}`));
      expect(polled.ok).toBe(true);
      expect(polled.error_code).toBeNull();
      return polled.result === null ? undefined : polled;
    }, 60_000, 100);
    expectResultShape(done.result);
    expect(done.result).toMatchObject({ result_id: queued.task_id, image_id: body.image_id, risk_level: 'normal' });
    expect(done.result.objects).toEqual(expectedObjects((await nativeAnalysis(bus)).objects));
    const stored = await json(await fetch(`${server.url}/v1/result/${queued.task_id}`));
    expect(stored.data).toMatchObject({ analysis_id: queued.task_id, request_id: body.request_id, objects: done.result.objects });
  });

  it('names the emergency queue when the image id says emergency', async () => {
    const queued = await json(await postJson(`${server.url}/v1/analyze_async`, originalBody(bus, 'drone/emergency_017.jpg')));
    expect(queued.queue).toBe('analyze.emergency');
  });

  it('answers an unknown task id as pending, as Celery did', async () => {
    const response = await fetch(`${server.url}/v1/result_async/${randomUUID()}`);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ response_id: expect.any(String), ok: true, result: null, error_code: null, error_message: null });
  });

  it('refuses an image it cannot analyse at the door, in FastAPI\'s {"detail": …}', async () => {
    const bad = await postJson(`${server.url}/v1/analyze_async`, { ...originalBody(bus), image_base64: 'not base64 at all!' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).detail).toMatch(/base64/i);
    const text = await postJson(`${server.url}/v1/analyze_async`, { ...originalBody(bus), image_base64: Buffer.from('plain text').toString('base64') });
    expect(text.status).toBe(415);
    expect(typeof (await json(text)).detail).toBe('string');
  });
});

describe('GET /health', () => {
  it('answers the embedding service\'s status with the drone service\'s yolo and blip', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'healthy', yolo: true, blip: false });
  });
});

describe("the original's pipeline_config.json as ARGUS_PIPELINE_CONFIG", () => {
  it('detects with its yolo_model (yolo11n.pt → yolo11n)', async () => {
    const file = join(dir, 'pipeline_config.json');
    writeFileSync(file, JSON.stringify({ use_yolo: true, yolo_model: 'yolo11n.pt', use_blip: true, blip_model: 'Salesforce/blip-image-captioning-base' }, null, 4));
    const other = await startServer({ dataDir: join(dir, 'yolo11n'), pipelineConfig: file });
    try {
      expect(await json(await fetch(`${other.url}/health`))).toEqual({ status: 'healthy', yolo: true, blip: false });
      const { result } = await json(await postJson(`${other.url}/v1/analyze`, originalBody(bus)));
      const job = await json(await fetch(`${other.url}/v1/jobs/${result.result_id}`));
      expect(job.result.model.alias).toBe('yolo11n');
    } finally {
      await other.close();
    }
  });

  it('says yolo: false when its detector is not installed, and the analyses fail as the original\'s did', async () => {
    const file = join(dir, 'missing.json');
    writeFileSync(file, JSON.stringify({ use_yolo: true, yolo_model: 'weights/nosuch.pt' }));
    const other = await startServer({ dataDir: join(dir, 'missing'), pipelineConfig: file });
    try {
      expect(await json(await fetch(`${other.url}/health`))).toEqual({ status: 'healthy', yolo: false, blip: false });
      const sync = await json(await postJson(`${other.url}/v1/analyze`, originalBody(bus)));
      expect(sync).toMatchObject({ ok: false, result: null, error_code: 'INTERNAL_ERROR: model_not_found', error_message: expect.stringMatching(/nosuch/) });
      const queued = await json(await postJson(`${other.url}/v1/analyze_async`, originalBody(bus)));
      const failed = await eventually(async () => {
        const polled = await json(await fetch(`${other.url}/v1/result_async/${queued.task_id}`));
        return polled.ok ? undefined : polled;
      });
      expect(failed).toMatchObject({ ok: false, result: null, error_code: 'INTERNAL_ERROR' });
      expect(await json(await fetch(`${other.url}/v1/result/${queued.task_id}`))).toEqual({ ok: false, error_code: 'NOT_FOUND' });
    } finally {
      await other.close();
    }
  });

  it('refuses use_yolo: false (the original\'s stub detections) at start, saying why', async () => {
    const file = join(dir, 'stub.json');
    writeFileSync(file, JSON.stringify({ use_yolo: false, use_blip: false }));
    await expect(startServer({ dataDir: join(dir, 'stub'), pipelineConfig: file })).rejects.toThrow(`pipeline config file ${file}: /use_yolo: false asked the original for stub detections`);
  });
});
