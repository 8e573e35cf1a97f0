import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ maxUploadBytes: 2 * 1024 * 1024 });
});

afterAll(async () => {
  await server?.close();
});

/** Checks an error answer in whichever dialect its surface speaks; Argus's code is in a header on all of them. */
async function expectError(response: Response, status: number, code: string): Promise<string> {
  const body = await json(response);
  expect({ status: response.status, code: response.headers.get('x-argus-error-code') }).toEqual({ status, code });
  const message = typeof body.error === 'string' ? body.error : body.detail ?? body.error?.message;
  if (body.error?.code !== undefined) expect(body.error.code).toBe(code);
  expect(typeof message).toBe('string');
  expect(message.length).toBeGreaterThan(10);
  return message;
}

/** A PNG header (signature + IHDR) that claims the given size; no pixel data follows. */
function pngHeaderClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const type = Buffer.from('IHDR');
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of Buffer.concat([type, ihdr])) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const chunk = Buffer.alloc(4 + 4 + 13 + 4);
  chunk.writeUInt32BE(13, 0);
  type.copy(chunk, 4);
  ihdr.copy(chunk, 8);
  chunk.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 21);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk]);
}

describe('bad input gets a clear 4xx and the server keeps serving', () => {
  const detect = () => `${server.url}/v1/detect`;

  it('empty body', async () => {
    await expectError(await fetch(detect(), { method: 'POST' }), 400, 'missing_image');
    await expectError(await fetch(detect(), { method: 'POST', headers: { 'content-type': 'application/json' } }), 400, 'missing_image');
    await expectError(await postJson(detect(), {}), 400, 'missing_image');
  });

  it('a missing image field', async () => {
    const form = new FormData();
    form.append('conf', '0.5');
    await expectError(await fetch(detect(), { method: 'POST', body: form }), 400, 'missing_image');
    await expectError(await postImage(detect(), image('bus.jpg'), {}, 'picture'), 400, 'missing_image');
  });

  it('non-image bytes', async () => {
    const message = await expectError(await postImage(detect(), Buffer.from('{"not": "an image"}')), 415, 'unsupported_media_type');
    expect(message).toMatch(/JPEG, PNG/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>');
    await expectError(await postImage(detect(), svg, {}, 'image', 'x.png'), 415, 'unsupported_media_type');
  });

  it('a truncated JPEG', async () => {
    const bus = image('bus.jpg');
    await expectError(await postImage(detect(), bus.subarray(0, Math.floor(bus.length / 2))), 422, 'invalid_image');
  });

  it('a PNG whose header claims 50000×50000 is refused before decoding', async () => {
    const message = await expectError(await postImage(detect(), pngHeaderClaiming(50_000, 50_000)), 413, 'image_too_large');
    expect(message).toMatch(/50000×50000/);
  });

  it('a file over the upload limit (413), multipart and JSON', async () => {
    // Random bytes do not compress: a 3 MB PNG over the 2 MB limit set for this server.
    const noise = Buffer.alloc(1100 * 1000 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const big = await sharp(noise, { raw: { width: 1100, height: 1000, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    await expectError(await postImage(detect(), big), 413, 'payload_too_large');
    await expectError(await postJson(detect(), { image: big.toString('base64') }), 413, 'payload_too_large');
  });

  it('base64 that is not base64', async () => {
    await expectError(await postJson(detect(), { image: 'this is *not* base64!' }), 400, 'invalid_base64');
  });

  it('invalid JSON', async () => {
    await expectError(await fetch(detect(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"image": ' }), 400, 'invalid_json');
  });

  it('an unsupported content type', async () => {
    await expectError(await fetch(detect(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415, 'unsupported_media_type');
  });

  it('an unknown model (404) and a model of another task', async () => {
    const message = await expectError(await postImage(detect(), image('bus.jpg'), { model: 'no-such-model' }), 404, 'model_not_found');
    expect(message).toMatch(/yolov8n/);
  });

  it('conf, iou and max_det outside their ranges', async () => {
    await expectError(await postImage(detect(), image('bus.jpg'), { conf: '1.5' }), 400, 'invalid_params');
    await expectError(await postImage(detect(), image('bus.jpg'), { conf: '-0.1' }), 400, 'invalid_params');
    await expectError(await postJson(detect(), { image: image('bus.jpg').toString('base64'), iou: 2 }), 400, 'invalid_params');
    await expectError(await postJson(detect(), { image: image('bus.jpg').toString('base64'), max_det: 0 }), 400, 'invalid_params');
    await expectError(await postImage(detect(), image('bus.jpg'), { conf: 'high' }), 400, 'invalid_params');
  });

  it('JSON values of the wrong type are refused, never coerced (true, null, [0.5] for a number)', async () => {
    const jpeg = image('bus.jpg').toString('base64');
    for (const conf of [true, null, [0.5], '0.5']) {
      const message = await expectError(await postJson(detect(), { image: jpeg, conf }), 400, 'invalid_params');
      expect(message).toMatch(/conf must be number/);
    }
    // The same field as multipart text is typed as the form sends it.
    expect((await postImage(detect(), image('bus.jpg'), { conf: '0.5' })).status).toBe(200);
  });

  it('task parameters in the query string are used; unknown or badly typed ones are a 400, never ignored', async () => {
    const jpeg = image('bus.jpg').toString('base64');
    const all = await json(await postJson(`${detect()}?conf=0.05`, { image: jpeg }));
    const strict = await json(await postJson(`${detect()}?conf=0.85&model=yolov8n`, { image: jpeg }));
    expect(strict.model.alias).toBe('yolov8n');
    expect(strict.detections.length).toBeGreaterThan(0);
    expect(strict.detections.every((d: { confidence: number }) => d.confidence >= 0.85)).toBe(true);
    expect(all.detections.length).toBeGreaterThan(strict.detections.length);
    const viaForm = await json(await postImage(`${detect()}?conf=0.85`, image('bus.jpg')));
    expect(viaForm.detections).toEqual(strict.detections);
    expect(await expectError(await postJson(`${detect()}?confidence=0.9`, { image: jpeg }), 400, 'invalid_params')).toMatch(/Unknown query parameter 'confidence'.*conf/);
    expect(await expectError(await postJson(`${detect()}?conf=high`, { image: jpeg }), 400, 'invalid_params')).toMatch(/conf/);
    expect(await expectError(await postJson(`${detect()}?conf=0.5`, { image: jpeg, conf: 0.6 }), 400, 'invalid_params')).toMatch(/both in the query string and in the body/);
    const classified = await postJson(`${server.url}/v1/classify?top_k=2`, { image: jpeg });
    expect(classified.status).toBe(200);
    expect((await json(classified)).predictions).toHaveLength(2);
  });

  it('a job id that does not exist (404; the original detection service answered it 202 "not available yet")', async () => {
    await expectError(await fetch(`${server.url}/v1/jobs/does-not-exist`), 404, 'job_not_found');
    const original = await fetch(`${server.url}/results/does-not-exist`);
    expect(original.status).toBe(202);
    expect(await json(original)).toMatchObject({ message: 'Result not available yet. Try again later.' });
  });

  it('an unknown route (404) in the same error shape', async () => {
    await expectError(await fetch(`${server.url}/v1/nothing-here`), 404, 'route_not_found');
  });

  it('bad async submissions are refused at submit time, not queued', async () => {
    await expectError(await postImage(`${server.url}/predict`, Buffer.from('plain text')), 415, 'unsupported_media_type');
    await expectError(await postJson(`${server.url}/v1/jobs`, { image: image('bus.jpg').toString('base64') }), 400, 'invalid_params');
    await expectError(await postJson(`${server.url}/v1/jobs`, { task: 'teleport', image: image('bus.jpg').toString('base64') }), 400, 'bad_request');
    const health = await json(await fetch(`${server.url}/healthz`));
    expect(health.jobs.queued + health.jobs.running + health.jobs.succeeded + health.jobs.failed).toBe(0);
  });

  it('after all of that, a good request is still answered correctly', async () => {
    const response = await postImage(detect(), image('bus.jpg'));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.detections.filter((d: { label: string }) => d.label === 'person').length).toBe(4);
  });
});
