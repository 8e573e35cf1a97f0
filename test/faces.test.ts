import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

interface Box { x1: number; y1: number; x2: number; y2: number }
interface Face {
  box: Box;
  confidence: number;
  landmarks: Array<[number, number]>;
  age?: number;
  gender?: string;
  gender_confidence?: number;
  emotion?: string;
  emotions?: Record<string, number>;
  embedding?: number[];
}

let server: TestServer;
const faces = () => `${server.url}/v1/faces`;
const compare = () => `${server.url}/v1/faces/compare`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

const inside = ([x, y]: [number, number], b: Box, margin = 0) => x >= b.x1 - margin && x <= b.x2 + margin && y >= b.y1 - margin && y <= b.y2 + margin;

/** Landmarks sit in their face: eyes above the nose, the nose above the mouth, the person's right eye left of their left eye. */
function expectPlausible(face: Face) {
  expect(face.landmarks).toHaveLength(5);
  for (const point of face.landmarks) expect(inside(point, face.box, 2)).toBe(true);
  const [rightEye, leftEye, nose, rightMouth, leftMouth] = face.landmarks;
  expect(rightEye[0]).toBeLessThan(leftEye[0]);
  expect(Math.max(rightEye[1], leftEye[1])).toBeLessThan(nose[1]);
  expect(nose[1]).toBeLessThan(Math.min(rightMouth[1], leftMouth[1]));
}

/** Two faces as one multipart request (image_a, image_b) plus text fields. */
async function postPair(a: Buffer, b: Buffer, fields: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.append('image_a', new Blob([a]), 'a.jpg');
  form.append('image_b', new Blob([b]), 'b.jpg');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(compare(), { method: 'POST', body: form });
}

describe('POST /v1/faces with YuNet', () => {
  it('finds the two faces in zidane.jpg, each inside one of the people the detector finds', async () => {
    const response = await postImage(faces(), image('zidane.jpg'));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ width: 1280, height: 720, model: { alias: 'yunet' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.timings.inference_ms).toBeGreaterThan(0);
    const found: Face[] = body.faces;
    expect(found).toHaveLength(2);
    for (const face of found) {
      expect(face.confidence).toBeGreaterThan(0.85);
      expect(face.age).toBeUndefined();
      expectPlausible(face);
    }
    const people = (await json(await postImage(`${server.url}/v1/detect`, image('zidane.jpg'), { classes: 'person', conf: '0.5' }))).detections as Array<{ box: Box }>;
    expect(people).toHaveLength(2);
    for (const person of people) {
      const mine = found.filter((f) => inside([(f.box.x1 + f.box.x2) / 2, (f.box.y1 + f.box.y2) / 2], person.box));
      expect(mine, `one face in the person at ${JSON.stringify(person.box)}`).toHaveLength(1);
    }
  });

  it('finds the faces of the group photos', async () => {
    // Counts measured with YuNet at the defaults; the Ultra-Light RFB-640 detector finds the same numbers.
    const expected: Record<string, number> = { 'linzaer_1.jpg': 52, 'linzaer_11.jpg': 26, 'linzaer_13.jpg': 2, 'linzaer_2.jpg': 4, 'linzaer_20.jpg': 10, 'linzaer_5.jpg': 1, 'linzaer_9.jpg': 8 };
    for (const [name, count] of Object.entries(expected)) {
      const body = await json(await postImage(faces(), image(`faces/${name}`)));
      expect(Math.abs(body.faces.length - count), `${name}: ${body.faces.length} faces`).toBeLessThanOrEqual(Math.max(1, Math.round(count * 0.1)));
      for (const face of body.faces as Face[]) expectPlausible(face);
    }
    // A crowd: more faces are found when the detector sees more pixels.
    const small = await json(await postImage(faces(), image('faces/linzaer_17.jpg'), { max_faces: '1000' }));
    const large = await json(await postImage(faces(), image('faces/linzaer_17.jpg'), { max_faces: '1000', max_side: '1600' }));
    expect(large.faces.length).toBeGreaterThan(small.faces.length * 2);
  });

  it('adds age, gender, emotion and a 1024-d embedding with attributes: true (JSON or multipart alike)', async () => {
    const bytes = image('zidane.jpg');
    const multipart = await json(await postImage(faces(), bytes, { attributes: 'true' }));
    const viaJson = await json(await postJson(faces(), { image: bytes.toString('base64'), attributes: true }));
    expect(viaJson.faces).toEqual(multipart.faces);
    for (const face of multipart.faces as Face[]) {
      expect(face.age).toBeGreaterThan(20);
      expect(face.age).toBeLessThan(60);
      expect(face.gender).toBe('male');
      expect(face.gender_confidence).toBeGreaterThan(0.3);
      expect(Object.keys(face.emotions!).sort()).toEqual(['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']);
      expect(Object.values(face.emotions!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
      expect(face.emotions![face.emotion!]).toBe(Math.max(...Object.values(face.emotions!)));
      expect(face.embedding).toHaveLength(1024);
    }
  });

  it('runs as an async job', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'faces', image: image('faces/linzaer_13.jpg').toString('base64'), params: { attributes: true } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    }, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.result.faces).toHaveLength(2);
    expect(job.result.faces[0].embedding).toHaveLength(1024);
  });
});

describe('POST /v1/faces/compare', () => {
  it('says the same face, flipped and shrunk, is the same person, and two different people are not', async () => {
    const zidane = image('zidane.jpg');
    const flipped = await sharp(zidane).flop().resize({ width: 800 }).jpeg({ quality: 70 }).toBuffer();
    const same = await json(await postPair(zidane, flipped));
    expect(same).toMatchObject({ same_person: true, threshold: 0.6, model: { alias: 'yunet' } });
    expect(same.similarity).toBeGreaterThan(0.9);
    expect(same.faces.map((f: { source: string }) => f.source)).toEqual(['image', 'image']);
    // The largest face of zidane.jpg is Zidane's, on the right.
    expect(same.faces[0].box.x1).toBeGreaterThan(900);

    const different = await json(await postPair(zidane, image('faces/linzaer_5.jpg')));
    expect(different.same_person).toBe(false);
    expect(different.similarity).toBeLessThan(0.6);
  });

  it('compares against a kept embedding, synchronously and as an async job, and honours the threshold', async () => {
    const zidane = image('zidane.jpg');
    const kept = (await json(await postJson(faces(), { image: zidane.toString('base64'), attributes: true }))).faces as Face[];
    const zidaneEmbedding = kept.reduce((a, b) => ((b.box.x2 - b.box.x1) > (a.box.x2 - a.box.x1) ? b : a)).embedding!;
    const other = kept.find((f) => f.embedding !== zidaneEmbedding)!.embedding!;

    const form = new FormData();
    form.append('image_a', new Blob([await sharp(zidane).modulate({ brightness: 1.2 }).jpeg().toBuffer()]), 'a.jpg');
    form.append('embeddings', JSON.stringify([zidaneEmbedding]));
    const viaMultipart = await json(await fetch(compare(), { method: 'POST', body: form }));
    expect(viaMultipart.same_person).toBe(true);
    expect(viaMultipart.faces.map((f: { source: string }) => f.source)).toEqual(['image', 'embedding']);

    const twoEmbeddings = await json(await postJson(compare(), { embeddings: [zidaneEmbedding, other], threshold: 0.05 }));
    expect(twoEmbeddings.threshold).toBe(0.05);
    expect(twoEmbeddings.similarity).toBeLessThan(0.6);
    expect(twoEmbeddings.same_person).toBe(twoEmbeddings.similarity >= 0.05);

    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'faces-compare', image: zidane.toString('base64'), params: { embeddings: [zidaneEmbedding] } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    }, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ similarity: 1, same_person: true });
  });
});

describe('bad input to /v1/faces and /v1/faces/compare gets a clear 4xx and the server keeps serving', () => {
  async function expectError(response: Response, status: number, code: string): Promise<string> {
    const body = await json(response);
    expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
    expect(body.error.message.length).toBeGreaterThan(10);
    return body.error.message;
  }

  it('faces: a wrong field, text, attributes that are not a boolean, an image too small, unknown parameters', async () => {
    const bytes = image('zidane.jpg');
    await expectError(await postImage(faces(), bytes, {}, 'photo'), 400, 'missing_image');
    await expectError(await postJson(faces(), { text: 'a face' }), 400, 'missing_image');
    await expectError(await postImage(faces(), Buffer.from('plain text')), 415, 'unsupported_media_type');
    await expectError(await postImage(faces(), bytes, { attributes: 'yes' }), 400, 'invalid_params');
    await expectError(await postJson(faces(), { image: bytes.toString('base64'), attributes: { age: true } }), 400, 'invalid_params');
    await expectError(await postJson(faces(), { image: bytes.toString('base64'), conf: 1.5 }), 400, 'invalid_params');
    await expectError(await postJson(faces(), { image: bytes.toString('base64'), landmarks: 68 }), 400, 'invalid_params');
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c96' } }).png().toBuffer();
    await expectError(await postImage(faces(), tiny), 422, 'image_too_small');
    expect((await json(await postImage(faces(), image('faces/linzaer_13.jpg')))).faces).toHaveLength(2);
  });

  it('compare: one image, three faces, bad embeddings, an image without a face', async () => {
    const zidane = image('zidane.jpg');
    const one = new FormData();
    one.append('image_a', new Blob([zidane]), 'a.jpg');
    expect(await expectError(await fetch(compare(), { method: 'POST', body: one }), 400, 'bad_request')).toMatch(/two faces/);
    await expectError(await postJson(compare(), { image_a: zidane.toString('base64') }), 400, 'bad_request');
    await expectError(await postJson(compare(), {}), 400, 'bad_request');
    const embedding = Array.from({ length: 1024 }, () => 0.01);
    await expectError(await postJson(compare(), { image_a: zidane.toString('base64'), image_b: zidane.toString('base64'), embeddings: [embedding] }), 400, 'bad_request');
    await expectError(await postJson(compare(), { embeddings: [embedding, embedding.slice(1)] }), 400, 'invalid_params');
    await expectError(await postJson(compare(), { embeddings: [embedding, embedding], threshold: 'high' }), 400, 'invalid_params');
    const form = new FormData();
    form.append('image_a', new Blob([zidane]), 'a.jpg');
    form.append('embeddings', '[[1, 2');
    await expectError(await fetch(compare(), { method: 'POST', body: form }), 400, 'invalid_params');
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777' } }).jpeg().toBuffer();
    expect(await expectError(await postPair(zidane, blank), 422, 'no_face')).toMatch(/image 2/);
    expect((await json(await postJson(compare(), { embeddings: [embedding, embedding] }))).similarity).toBe(1);
  });
});
