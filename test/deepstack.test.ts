/**
 * The DeepStack / CodeProject.AI surface against the real server and models, called the way its
 * real clients call it: the Python library behind Home Assistant's DeepStack integrations (as
 * test/clients/deepstack_client.py, run by Debian's python3 + python3-requests), Frigate's
 * `deepstack` detector (its parsing ported below) and plain forms for every route.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COCO80 } from '../src/vision/coco.js';
import { image, IMAGES_DIR, json, REPO_ROOT, SHARED_DIR, startServer, type TestServer } from './helpers.js';

const ADMIN = 'admin:deepstack-admin-0123456789';
const ALICE = 'inference:deepstack-alice-0123456789';
const BOB = 'inference:deepstack-bob-0123456789';
const secret = (entry: string) => entry.replace(/^(inference|admin):/, '');

let server: TestServer;
const url = (path: string) => `${server.url}${path}`;

beforeAll(async () => {
  server = await startServer({ apiKeys: [ADMIN, ALICE, BOB] });
});

afterAll(async () => {
  await server?.close();
});

/** A form as DeepStack clients post it: files (field → bytes) and text fields, the key among them. */
async function form(path: string, files: Record<string, Buffer>, fields: Record<string, string> = {}): Promise<Response> {
  const body = new FormData();
  for (const [name, bytes] of Object.entries(files)) body.append(name, new Blob([bytes]), name);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return fetch(url(path), { method: 'POST', body });
}

interface Prediction { label: string; confidence: number; x_min: number; y_min: number; x_max: number; y_max: number }

function expectDeepStackPredictions(predictions: Prediction[], width: number, height: number) {
  for (const p of predictions) {
    for (const v of [p.x_min, p.y_min, p.x_max, p.y_max]) expect(Number.isInteger(v)).toBe(true);
    expect(p.x_min).toBeGreaterThanOrEqual(0);
    expect(p.x_max).toBeLessThanOrEqual(width);
    expect(p.y_max).toBeLessThanOrEqual(height);
    expect(p.x_min).toBeLessThan(p.x_max);
  }
  const confidences = predictions.map((p) => p.confidence);
  expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
}

describe('the Python client behind Home Assistant (deepstack-python 0.9, as test/clients/deepstack_client.py)', () => {
  it('detects, registers, lists and recognizes through requests, with api_key and min_confidence as form fields', async () => {
    // Debian's interpreter and its python3-requests (not whatever python3 is first on PATH); the
    // server runs in this process, so the client must run without blocking it (no spawnSync).
    // Not a skip: without them this test fails and says what to install.
    const run = await promisify(execFile)('/usr/bin/python3', [join(REPO_ROOT, 'test/clients/deepstack_client.py'), server.url, secret(ALICE), IMAGES_DIR], { encoding: 'utf8', timeout: 180_000 })
      .catch((error: Error & { stderr?: string }) => {
        throw new Error(`the DeepStack client failed (it needs Debian's python3 and python3-requests: apt-get install python3-requests): ${error.message}\n${error.stderr ?? ''}`);
      });
    const out = JSON.parse(run.stdout);
    const labels = (out.detect.ok as Prediction[]).map((p) => p.label);
    // Three people: the fourth, cut by the left edge, scores 0.41, under the client's 0.45.
    expect(labels.filter((l) => l === 'person')).toHaveLength(3);
    expect(labels).toContain('bus');
    for (const p of out.detect.ok as Prediction[]) expect(p.confidence).toBeGreaterThanOrEqual(0.45);
    expectDeepStackPredictions(out.detect.ok, 810, 1080);
    expect((out.custom.ok as Prediction[]).some((p) => p.label === 'bus')).toBe(true);
    expect(out.missing_model.raised).toMatch(/Bad url supplied/);
    // The client's min_confidence 0.45 keeps the blurred spectator behind the two players (YuNet: 0.70).
    expect(out.faces.ok).toHaveLength(3);
    expect(out.register).toEqual({ ok: 'face added' });
    expect(out.register_again).toEqual({ ok: 'face updated' });
    expect(out.register_no_face.raised).toMatch(/status code: 400/);
    expect(out.list).toEqual({ ok: ['Zinedine'] });
    const recognized = out.recognize.ok as Array<{ userid: string; confidence: number }>;
    expect(recognized.map((r) => r.userid).sort()).toEqual(['Zinedine', 'unknown']);
    expect(recognized.find((r) => r.userid === 'unknown')!.confidence).toBe(0);
    expect(out.scene.raised).toMatch(/status code: 403/);
    expect(out.wrong_key.raised).toMatch(/status code: 401/);
  });
});

// Frigate's labelmap (blakeblackshear/frigate labelmap.txt, MIT, © Frigate, Inc.): index → label.
const FRIGATE_LABELS = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'car', 'boat', 'traffic light', 'fire hydrant',
  'street sign', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe',
  'hat', 'backpack', 'umbrella', 'shoe', 'eye glasses', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
  'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle', 'plate', 'wine glass', 'cup', 'fork', 'knife',
  'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
  'potted plant', 'bed', 'mirror', 'dining table', 'window', 'desk', 'toilet', 'door', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
  'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'blender', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
  'hair drier', 'toothbrush', 'hair brush'];

/** Frigate's DeepStack.get_label_index (frigate/detectors/plugins/deepstack.py): truck counts as car. */
function frigateLabelIndex(label: string): number {
  const wanted = label.toLowerCase() === 'truck' ? 'car' : label.toLowerCase();
  return FRIGATE_LABELS.indexOf(wanted);
}

/** Frigate's DeepStack.detect_raw parsing: 20 rows of [label, score, y_min/h, x_min/w, y_max/h, x_max/w], stopping at the first score under 0.4 or unknown label. */
function frigateParse(body: { predictions?: Prediction[] }, width: number, height: number): number[][] {
  const rows: number[][] = [];
  for (const detection of body.predictions ?? []) {
    if (detection.confidence < 0.4) break;
    const label = frigateLabelIndex(detection.label);
    if (label < 0) break;
    rows.push([label, detection.confidence, detection.y_min / height, detection.x_min / width, detection.y_max / height, detection.x_max / width]);
  }
  return rows;
}

describe("Frigate's deepstack detector", () => {
  const coco = join(SHARED_DIR, 'datasets/coco128/images/val2017');

  it('reads every prediction of 320×320 frames (its model size) from each detector, normalised by the frame size', async () => {
    const frames = await Promise.all(readdirSync(coco).sort().slice(0, 6).map((name) => sharp(readFileSync(join(coco, name))).resize(320, 320, { fit: 'fill' }).jpeg({ quality: 75 }).toBuffer()));
    for (const path of ['/v1/vision/detection', '/v1/vision/custom/yolo11n', '/v1/vision/custom/centernet']) {
      let seen = 0;
      for (const frame of frames) {
        // Frigate posts data={"api_key": …} and files={"image": …}, and no min_confidence.
        const response = await form(path, { image: frame }, { api_key: secret(ALICE) });
        expect(response.status).toBe(200);
        const body = await json(response);
        expectDeepStackPredictions(body.predictions, 320, 320);
        const rows = frigateParse(body, 320, 320);
        // Nothing is cut short by an unknown label: every prediction over 0.4 is read.
        expect(rows).toHaveLength(body.predictions.filter((p: Prediction) => p.confidence >= 0.4).length);
        for (const v of rows.flatMap((row) => row.slice(2))) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        seen += rows.length;
      }
      expect(seen, path).toBeGreaterThan(3);
    }
  });

  it('knows every COCO label the detectors answer', () => {
    expect(COCO80.filter((label) => frigateLabelIndex(label) < 0)).toEqual([]);
  });
});

describe('every route, as a form', () => {
  const key = { api_key: secret(ALICE) };

  it('detection: DeepStack default min_confidence 0.45, a lower one gives more; CodeProject.AI fields', async () => {
    const bus = image('bus.jpg');
    const plain = await json(await form('/v1/vision/detection', { image: bus }, key));
    expect(plain).toMatchObject({ success: true, count: plain.predictions.length, command: 'detect', moduleId: 'yolov8n' });
    expect(plain.message).toMatch(/^Found person/);
    expect(plain.inferenceMs).toBeGreaterThan(0);
    expect(plain.analysisRoundTripMs).toBeGreaterThanOrEqual(plain.processMs);
    expect(Math.min(...plain.predictions.map((p: Prediction) => p.confidence))).toBeGreaterThanOrEqual(0.45);
    const low = await json(await form('/v1/vision/detection', { image: bus }, { ...key, min_confidence: '0.1' }));
    expect(low.predictions.length).toBeGreaterThan(plain.predictions.length);
    expectDeepStackPredictions(low.predictions, 810, 1080);
    // The key in a header works as well as in the form.
    const headed = await fetch(url('/v1/vision/detection'), { method: 'POST', headers: { authorization: `Bearer ${secret(BOB)}` }, body: (() => { const f = new FormData(); f.append('image', new Blob([bus]), 'bus.jpg'); return f; })() });
    expect(headed.status).toBe(200);
  });

  it('custom models: the list names the installed detectors, each answers at /custom/{alias}', async () => {
    const list = await json(await fetch(url('/v1/vision/custom/list'), { method: 'POST', headers: { 'x-api-key': secret(ALICE) } }));
    expect(list.success).toBe(true);
    expect(list.models).toEqual(expect.arrayContaining(['yolov8n', 'yolo11n', 'centernet']));
    expect(list.models).not.toContain('yunet');
    const body = await json(await form('/v1/vision/custom/yolo11n', { image: image('bus.jpg') }, key));
    expect(body).toMatchObject({ success: true, moduleId: 'yolo11n', command: 'custom' });
    // Blue Iris's update check answers without a key.
    expect(await json(await fetch(url('/v1/status/updateavailable')))).toMatchObject({ success: true, updateAvailable: false });
    // Documented in the OpenAPI description beside the native API.
    const doc = await json(await fetch(url('/openapi.json')));
    for (const path of ['/v1/vision/detection', '/v1/vision/custom/{model}', '/v1/vision/face/recognize', '/v1/faces/gallery', '/v1/faces/recognize']) expect(doc.paths[path], path).toBeDefined();
    expect(Object.keys(doc.paths['/v1/vision/face/delete'].post.requestBody.content)).toContain('application/x-www-form-urlencoded');
    const missing = await form('/v1/vision/custom/nope', { image: image('bus.jpg') }, key);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ success: false, error: expect.stringMatching(/Unknown model 'nope'/) });
  });

  it('faces: detect, register under any field names, recognize, match, list and delete', async () => {
    // Bob's gallery: Alice's already holds Zinedine (the Python client's test).
    const key = { api_key: secret(BOB) };
    const zidane = image('zidane.jpg');
    const faces = await json(await form('/v1/vision/face', { image: zidane }, key));
    expect(faces.predictions.length).toBeGreaterThanOrEqual(2);
    expectDeepStackPredictions(faces.predictions, 1280, 720);
    const portrait = await sharp(zidane).extract({ left: 860, top: 40, width: 260, height: 300 }).jpeg().toBuffer();
    const added = await json(await form('/v1/vision/face/register', { image1: portrait, image2: await sharp(portrait).flop().jpeg().toBuffer() }, { ...key, userid: 'Zizou' }));
    expect(added).toEqual({ success: true, message: 'face added' });
    const native = await json(await fetch(url('/v1/faces/gallery/Zizou'), { headers: { 'x-api-key': secret(BOB) } }));
    expect(native.faces).toHaveLength(2);

    const recognized = await json(await form('/v1/vision/face/recognize', { image: zidane }, key));
    const zizou = recognized.predictions.find((p: { userid: string }) => p.userid === 'Zizou');
    expect(zizou.x_min).toBeGreaterThan(900);
    expect(zizou.confidence).toBeGreaterThan(0.9);
    // A min_confidence under Argus's threshold is raised to it, never lowered: the other player stays unknown.
    const loose = await json(await form('/v1/vision/face/recognize', { image: zidane }, { ...key, min_confidence: '0.01' }));
    expect(loose.predictions.filter((p: { userid: string }) => p.userid === 'Zizou')).toHaveLength(1);

    const match = await json(await form('/v1/vision/face/match', { image1: zidane, image2: portrait }, key));
    expect(match.success).toBe(true);
    expect(match.similarity).toBeGreaterThan(0.9);

    // Another key's gallery is its own: Alice neither lists nor recognizes Bob's Zizou.
    expect((await json(await form('/v1/vision/face/list', {}, { api_key: secret(ALICE) }))).faces).not.toContain('Zizou');
    const alices = await json(await form('/v1/vision/face/recognize', { image: zidane }, { api_key: secret(ALICE) }));
    expect(alices.predictions.map((p: { userid: string }) => p.userid)).not.toContain('Zizou');
    // The admin sees everyone's.
    expect((await json(await form('/v1/vision/face/list', {}, { api_key: secret(ADMIN) }))).faces).toContain('Zizou');

    // DeepStack's Python examples send delete as a url-encoded form.
    const deleted = await fetch(url('/v1/vision/face/delete'), { method: 'POST', body: new URLSearchParams({ userid: 'Zizou', api_key: secret(BOB) }) });
    expect(await json(deleted)).toEqual({ success: true });
    expect((await json(await form('/v1/vision/face/list', {}, key))).faces).not.toContain('Zizou');
  });

  it('bad input: DeepStack dialect and status, the Argus code in x-argus-error-code, never a 500', async () => {
    const cases: Array<[Response, number, string]> = [
      [await form('/v1/vision/detection', {}, key), 400, 'missing_image'],
      [await form('/v1/vision/detection', { image: image('bus.jpg') }, { ...key, min_confidence: 'high' }), 400, 'invalid_params'],
      [await form('/v1/vision/detection', { image: image('bus.jpg') }, { ...key, min_confidence: '1.5' }), 400, 'invalid_params'],
      [await form('/v1/vision/detection', { image: Buffer.from('not an image') }, key), 400, 'unsupported_media_type'],
      [await form('/v1/vision/face/register', { image: image('zidane.jpg') }, key), 400, 'bad_request'],
      [await form('/v1/vision/face/register', {}, { ...key, userid: 'x' }), 400, 'missing_image'],
      [await form('/v1/vision/face/register', { image: readFileSync(join(IMAGES_DIR, 'misc/coffee.png')) }, { ...key, userid: 'x' }), 400, 'no_face'],
      [await form('/v1/vision/face/match', { image1: image('zidane.jpg') }, key), 400, 'bad_request'],
      [await form('/v1/vision/face/match', { a: image('zidane.jpg'), b: image('zidane.jpg'), c: image('zidane.jpg') }, key), 400, 'bad_request'],
      [await form('/v1/vision/face/delete', {}, key), 400, 'bad_request'],
      [await form('/v1/vision/scene', { image: image('bus.jpg') }, key), 403, 'model_unavailable'],
      [await form('/v1/vision/detection', { image: image('bus.jpg') }), 401, 'unauthorized'],
      [await form('/v1/vision/detection', { image: image('bus.jpg') }, { api_key: 'wrong' }), 401, 'unauthorized'],
    ];
    for (const [response, status, code] of cases) {
      const body = await json(response);
      expect({ status: response.status, code: response.headers.get('x-argus-error-code'), success: body.success }).toEqual({ status, code, success: false });
      expect(typeof body.error).toBe('string');
      expect(body.error.length).toBeGreaterThan(5);
    }
    expect((await form('/v1/vision/detection', { image: image('bus.jpg') }, key)).status).toBe(200);
  });
});
