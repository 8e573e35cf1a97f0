import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

interface Box { x1: number; y1: number; x2: number; y2: number }

let server: TestServer;
const segment = () => `${server.url}/v1/segment`;

beforeAll(async () => {
  // Load shedding has tests of its own; here a busy shared machine lagging the test process's
  // event loop past the 1 s default must not turn a segmentation answer into a 503.
  server = await startServer({ maxEventLoopDelayMs: 0 });
});

afterAll(async () => {
  await server?.close();
});

/** The mask PNG decoded: its size, the channels stored in the file, and one byte per pixel. */
async function decodeMask(base64: string) {
  const png = Buffer.from(base64, 'base64');
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => data[Math.round(y) * info.width + Math.round(x)];
  /** Share of the pixels in `b` that are masked. */
  const share = (b: Box) => {
    let set = 0;
    let all = 0;
    for (let y = Math.round(b.y1); y < Math.min(Math.round(b.y2), info.height); y++) {
      for (let x = Math.round(b.x1); x < Math.min(Math.round(b.x2), info.width); x++, all++) if (data[y * info.width + x] === 255) set++;
    }
    return set / all;
  };
  return { data, width: info.width, height: info.height, channels, at, share };
}

/** A picture with no one in it: flat colours and shapes, rendered here. */
async function plainPicture(): Promise<Buffer> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="100%" height="100%" fill="#dfe6ee"/>'
    + '<rect x="60" y="300" width="520" height="120" fill="#8a9bb0"/><circle cx="480" cy="120" r="60" fill="#f2c14e"/></svg>';
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

describe('POST /v1/segment with MediaPipe Selfie', () => {
  it('masks both men in zidane.jpg: a PNG at the image size, a box around them, a sane coverage', async () => {
    const response = await postImage(segment(), image('zidane.jpg'));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ width: 1280, height: 720, threshold: 0.5, model: { alias: 'selfie' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(body.timings)).toEqual(expect.arrayContaining(['decode_ms', 'inference_ms', 'postprocess_ms', 'total_ms']));
    const mask = await decodeMask(body.mask);
    expect({ width: mask.width, height: mask.height, channels: mask.channels }).toEqual({ width: 1280, height: 720, channels: 1 });
    expect(new Set(mask.data)).toEqual(new Set([0, 255]));
    // Coverage is what the PNG holds, and a plausible share for two men filling a medium shot.
    const set = mask.data.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);
    expect(body.coverage).toBeCloseTo(set / (1280 * 720), 3);
    expect(body.coverage).toBeGreaterThan(0.15);
    expect(body.coverage).toBeLessThan(0.75);
    // Each person the detector finds lies (nearly all) inside the mask's box, most of his box and
    // his face are masked, and the empty wall at the top left is not. Selfie, made for people near
    // the camera, misses a strip of the left man's far shoulder and patches of Zidane's dark jacket.
    const people = ((await json(await postImage(`${server.url}/v1/detect`, image('zidane.jpg'), { classes: '0', conf: '0.5' }))).detections as Array<{ box: Box }>)
      .map((d) => d.box);
    expect(people.length).toBeGreaterThanOrEqual(2);
    const box: Box = body.box;
    for (const p of people) {
      const inside = (Math.min(box.x2, p.x2) - Math.max(box.x1, p.x1)) * (Math.min(box.y2, p.y2) - Math.max(box.y1, p.y1));
      expect(inside / ((p.x2 - p.x1) * (p.y2 - p.y1)), `share of [${p.x1}, ${p.y1}, ${p.x2}, ${p.y2}] inside the mask box`).toBeGreaterThan(0.85);
      expect(mask.share(p), 'share of the person box masked').toBeGreaterThan(0.5);
    }
    const faces = ((await json(await postImage(`${server.url}/v1/faces`, image('zidane.jpg')))).faces as Array<{ box: Box }>).map((f) => f.box);
    expect(faces).toHaveLength(2);
    for (const face of faces) expect(mask.share(face), 'share of a face masked').toBeGreaterThan(0.9);
    expect(mask.share({ x1: 0, y1: 0, x2: 100, y2: 300 })).toBe(0);
    // The box is tight: its edges touch the mask.
    const column = (x: number) => Array.from({ length: 720 }, (_, y) => mask.at(x, y)).some((v) => v === 255);
    expect(column(box.x1)).toBe(true);
    expect(column(box.x2 - 1)).toBe(true);
    if (box.x1 > 0) expect(column(box.x1 - 1)).toBe(false);
  });

  it('a higher threshold keeps less of the image', async () => {
    const loose = await json(await postJson(segment(), { image: image('zidane.jpg').toString('base64'), threshold: 0.2 }));
    const strict = await json(await postJson(segment(), { image: image('zidane.jpg').toString('base64'), threshold: 0.9 }));
    expect(loose.threshold).toBe(0.2);
    expect(loose.coverage).toBeGreaterThan(strict.coverage);
  });

  it('returns an empty mask, no box and zero coverage where there is no one', async () => {
    for (const [name, bytes] of [['plain picture', await plainPicture()], ['rocket.jpg', image('misc/rocket.jpg')]] as const) {
      const body = await json(await postImage(segment(), bytes));
      expect(body.coverage, name).toBeLessThan(0.005);
      if (body.coverage === 0) expect(body.box, name).toBeNull();
      const mask = await decodeMask(body.mask);
      expect({ width: mask.width, height: mask.height }).toEqual({ width: body.width, height: body.height });
    }
    const plain = await json(await postImage(segment(), await plainPicture()));
    expect(plain).toMatchObject({ coverage: 0, box: null, width: 640, height: 480 });
    const mask = await decodeMask(plain.mask);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });

  it('runs as an async job', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'segment', image: image('zidane.jpg').toString('base64'), params: { threshold: 0.6 } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    }, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ width: 1280, height: 720, threshold: 0.6, model: { alias: 'selfie' } });
    expect(job.result.coverage).toBeGreaterThan(0.1);
    expect((await decodeMask(job.result.mask)).width).toBe(1280);
  });
});

describe('bad input to /v1/segment gets a clear 4xx and the server keeps serving', () => {
  async function expectError(response: Response, status: number, code: string): Promise<void> {
    const body = await json(response);
    expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
    expect(body.error.message.length).toBeGreaterThan(10);
  }

  it('a wrong field, text, bad parameters, a model for another task, not an image, an image too small', async () => {
    await expectError(await postImage(segment(), image('zidane.jpg'), {}, 'file'), 400, 'missing_image');
    await expectError(await postJson(segment(), { text: 'a person' }), 400, 'missing_image');
    await expectError(await postImage(segment(), image('zidane.jpg'), { threshold: '1.5' }), 400, 'invalid_params');
    await expectError(await postImage(segment(), image('zidane.jpg'), { classes: 'person' }), 400, 'invalid_params');
    await expectError(await postImage(segment(), image('zidane.jpg'), { model: 'movenet' }), 400, 'model_task_mismatch');
    await expectError(await postImage(segment(), Buffer.from('plain text, not an image')), 415, 'unsupported_media_type');
    const tiny = await sharp({ create: { width: 15, height: 64, channels: 3, background: '#000' } }).png().toBuffer();
    await expectError(await postImage(segment(), tiny), 422, 'image_too_small');
    expect((await json(await postImage(segment(), image('zidane.jpg')))).coverage).toBeGreaterThan(0.1);
  });
});
