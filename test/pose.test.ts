import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

interface Box { x1: number; y1: number; x2: number; y2: number }
interface Keypoint { name: string; x: number; y: number; score: number }
interface Person { box?: Box; score: number; keypoints: Keypoint[] }

let server: TestServer;
const pose = () => `${server.url}/v1/pose`;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

const point = (p: Person, name: string) => p.keypoints.find((k) => k.name === name)!;
const inside = (k: Keypoint, b: Box) => k.x >= b.x1 && k.x <= b.x2 && k.y >= b.y1 && k.y <= b.y2;

describe('POST /v1/pose with MoveNet per detected person', () => {
  it('gives each of the two men in zidane.jpg his own pose, nose in his face', async () => {
    const response = await postImage(pose(), image('zidane.jpg'));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ width: 1280, height: 720, model: { alias: 'movenet' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const people: Person[] = body.people;
    expect(people).toHaveLength(2);
    const faces = (await json(await postImage(`${server.url}/v1/faces`, image('zidane.jpg')))).faces as Array<{ box: Box }>;
    for (const person of people) {
      expect(person.keypoints.map((k) => k.name)).toEqual([
        'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
        'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
      ]);
      const nose = point(person, 'nose');
      expect(nose.score).toBeGreaterThan(0.4);
      expect(faces.filter((f) => inside(nose, f.box)), `the nose at ${nose.x}, ${nose.y} lies in one face`).toHaveLength(1);
      // Shoulders below the nose and inside the person box.
      for (const side of ['left_shoulder', 'right_shoulder']) {
        expect(point(person, side).y).toBeGreaterThan(nose.y);
        expect(inside(point(person, side), person.box!)).toBe(true);
      }
    }
    // One pose per man: the two noses are far apart.
    expect(Math.abs(point(people[0], 'nose').x - point(people[1], 'nose').x)).toBeGreaterThan(200);
  });

  it('finds the astronaut standing upright: head above shoulders above hips', async () => {
    const body = await json(await postJson(pose(), { image: image('misc/astronaut.png').toString('base64') }));
    expect(body.people).toHaveLength(1);
    const [astronaut] = body.people as Person[];
    expect(astronaut.score).toBeGreaterThan(0.3);
    const nose = point(astronaut, 'nose');
    const shoulders = ['left_shoulder', 'right_shoulder'].map((n) => point(astronaut, n));
    const hips = ['left_hip', 'right_hip'].map((n) => point(astronaut, n));
    for (const s of shoulders) expect(s.score).toBeGreaterThan(0.5);
    expect(nose.y).toBeLessThan(Math.min(...shoulders.map((s) => s.y)));
    expect(Math.max(...shoulders.map((s) => s.y))).toBeLessThan(Math.min(...hips.map((h) => h.y)));
    // Her face is in the upper middle of the 512×512 photo.
    expect(nose.x).toBeGreaterThan(150);
    expect(nose.x).toBeLessThan(300);
    expect(nose.y).toBeLessThan(200);
    // Her left shoulder is on the right of the picture: the model's labels are the person's own sides.
    expect(point(astronaut, 'left_shoulder').x).toBeGreaterThan(point(astronaut, 'right_shoulder').x);
  });

  it('returns no one in a picture without people, and honours max_people', async () => {
    expect((await json(await postImage(pose(), image('misc/coffee.png')))).people).toEqual([]);
    const bus = await json(await postImage(pose(), image('bus.jpg'), { max_people: '2' }));
    expect(bus.people).toHaveLength(2);
  });

  it('runs as an async job', async () => {
    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'pose', image: image('misc/astronaut.png').toString('base64') });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    }, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.result.people).toHaveLength(1);
  });
});

describe('bad input to /v1/pose gets a clear 4xx and the server keeps serving', () => {
  async function expectError(response: Response, status: number, code: string): Promise<void> {
    const body = await json(response);
    expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
    expect(body.error.message.length).toBeGreaterThan(10);
  }

  it('a wrong field, text, bad parameters, an image too small', async () => {
    await expectError(await postImage(pose(), image('zidane.jpg'), {}, 'file'), 400, 'missing_image');
    await expectError(await postJson(pose(), { text: 'a person' }), 400, 'missing_image');
    await expectError(await postImage(pose(), image('zidane.jpg'), { max_people: '0' }), 400, 'invalid_params');
    await expectError(await postImage(pose(), image('zidane.jpg'), { keypoints: '33' }), 400, 'invalid_params');
    const tiny = await sharp({ create: { width: 31, height: 64, channels: 3, background: '#000' } }).png().toBuffer();
    await expectError(await postImage(pose(), tiny), 422, 'image_too_small');
    expect((await json(await postImage(pose(), image('misc/astronaut.png')))).people).toHaveLength(1);
  });
});
