import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHomography, fitHomography, type PointPair } from '../src/vision/homography.js';
import { ARGUS_CLI, eventually, image, IMAGES_DIR, json, MODELS_DIR, postImage, postJson, REPO_ROOT, startServer, tempDir, type TestServer } from './helpers.js';

/**
 * bus.jpg (810×1080): two men stand on the pavement at the left (feet near x 146 and 282, y 857–902),
 * a third person at the right edge (feet near x 740). The zone is drawn around the left pavement in
 * image pixels; the homography (4 pairs) puts the ground in metres, about 1 cm per pixel there.
 */
const BUS_STOP = {
  model: 'yolov8n',
  classes: ['person', 'bus'],
  conf: 0.5,
  homography: {
    points: [
      { image: [0, 1080], ground: [0, 0] },
      { image: [810, 1080], ground: [8.1, 0] },
      { image: [760, 700], ground: [8.1, 5] },
      { image: [50, 700], ground: [0, 5] },
    ],
  },
  zones: [{ name: 'left-pavement', space: 'image', polygon: [[0, 760], [420, 760], [420, 1080], [0, 1080]], risk: 'high' }],
  rules: [
    { type: 'in_zone', name: 'person-on-left-pavement', zone: 'left-pavement', classes: ['person'] },
    { type: 'count', classes: ['bus'], above: 1, risk: 'low' },
  ],
};

let server: TestServer;
const dir = tempDir('argus-scene-');

beforeAll(async () => {
  server = await startServer({ dataDir: join(dir, 'data') });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (id: string, body: unknown) => fetch(`${server.url}/v1/cameras/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface SceneObject {
  label: string;
  zone?: string;
  box: { x1: number; x2: number; y2: number };
  ground: { x: number; y: number };
}

function checkBusStop(body: Record<string, unknown> & { objects: SceneObject[] }) {
  expect(body).toMatchObject({
    risk_level: 'high',
    priority: 'P2',
    description: '2 people in zone left-pavement.',
    width: 810,
    height: 1080,
    model: { alias: 'yolov8n' },
    events: [{ rule: 'person-on-left-pavement', type: 'in_zone', risk_level: 'high', message: '2 people in zone left-pavement', zone: 'left-pavement' }],
  });
  const people = body.objects.filter((o) => o.label === 'person');
  expect(people).toHaveLength(3);
  const onPavement = people.filter((o) => o.zone === 'left-pavement');
  expect(onPavement).toHaveLength(2);
  // The event names exactly the objects in the zone.
  expect((body.events as Array<{ objects: number[] }>)[0].objects.map((i) => body.objects[i])).toEqual(onPavement);
  // The ground point is the bottom-centre of the box through the camera's homography.
  const { matrix } = fitHomography(BUS_STOP.homography.points as unknown as PointPair[]);
  for (const o of body.objects) {
    const expected = applyHomography(matrix, [(o.box.x1 + o.box.x2) / 2, o.box.y2])!;
    expect(o.ground.x).toBeCloseTo(expected.x, 1);
    expect(o.ground.y).toBeCloseTo(expected.y, 1);
  }
}

describe('cameras and POST /v1/analyze on bus.jpg', () => {
  it('stores a camera (201, then 200 on replace) with the homography Argus computed', async () => {
    const created = await put('bus-stop', BUS_STOP);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/cameras/bus-stop');
    const camera = await json(created);
    expect(camera).toMatchObject({ id: 'bus-stop', origin: 'api', config: BUS_STOP, computed: { zones: [{ name: 'left-pavement', space: 'image', risk: 'high' }] } });
    expect(camera.computed.homography.matrix).toHaveLength(3);
    expect(camera.computed.homography.rms_error_m).toBeLessThan(1e-6);
    expect(camera.computed.rules).toEqual([{ name: 'person-on-left-pavement', type: 'in_zone', risk: 'high' }, { name: 'count_1', type: 'count', risk: 'low' }]);
    expect((await put('bus-stop', BUS_STOP)).status).toBe(200);
    expect((await json(await fetch(`${server.url}/v1/cameras`))).cameras.map((c: { id: string }) => c.id)).toContain('bus-stop');
  });

  it('finds the two people on the left pavement: the event, high risk, P2', async () => {
    const response = await postImage(`${server.url}/v1/analyze`, image('bus.jpg'), { camera_id: 'bus-stop' });
    expect(response.status).toBe(200);
    const body = await json(response);
    checkBusStop(body);
    expect(body.camera_id).toBe('bus-stop');
    expect(body.timings.scene_ms).toBeGreaterThanOrEqual(0);
    expect(body.timings.inference_ms).toBeGreaterThan(0);
  });

  it('takes an inline camera in JSON, and runs as an async job', async () => {
    const inline = await postJson(`${server.url}/v1/analyze`, { image: image('bus.jpg').toString('base64'), camera: BUS_STOP });
    expect(inline.status).toBe(200);
    const body = await json(inline);
    checkBusStop(body);
    expect(body.camera_id).toBe('inline');

    const submitted = await postJson(`${server.url}/v1/jobs`, { task: 'analyze', image: image('bus.jpg').toString('base64'), params: { camera_id: 'bus-stop' } });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    });
    expect(done.status).toBe('succeeded');
    checkBusStop(done.result);
  });

  it('refuses bad input clearly and keeps serving', async () => {
    const unknown = await postImage(`${server.url}/v1/analyze`, image('bus.jpg'), { camera_id: 'nowhere' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ code: 'camera_not_found', message: expect.stringContaining("No camera 'nowhere'") });

    const invalid = await put('broken', { ...BUS_STOP, zones: [...BUS_STOP.zones, { name: 'b', polygon: [[0, 0], [1, 1]], risk: 'low' }, { name: 'c', polygon: [[0, 0], [1, 0]], risk: 'low' }] });
    expect(invalid.status).toBe(400);
    const error = (await json(invalid)).error;
    expect(error.code).toBe('invalid_camera_config');
    expect(error.details).toEqual([{ path: '/zones/1/polygon', message: 'needs at least 3 points' }, { path: '/zones/2/polygon', message: 'needs at least 3 points' }]);
    expect(error.message).toBe('Invalid camera config: /zones/1/polygon: needs at least 3 points; /zones/2/polygon: needs at least 3 points');

    const typo = await put('broken', { ...BUS_STOP, zones: [{ ...BUS_STOP.zones[0], riks: 'high' }] });
    expect((await json(typo)).error.details).toContainEqual({ path: '/zones/0/riks', message: 'unknown property' });
    const collinear = await put('broken', { ...BUS_STOP, homography: { points: [0, 1, 2, 3].map((i) => ({ image: [i * 100, i * 100], ground: [i, i * 2 + 1] })) } });
    expect((await json(collinear)).error.details[0].path).toBe('/homography/points');
    expect((await fetch(`${server.url}/v1/cameras/broken`)).status).toBe(404);
    expect((await put('bad id!', BUS_STOP)).status).toBe(400);

    const both = await postJson(`${server.url}/v1/analyze`, { image: image('bus.jpg').toString('base64'), camera_id: 'bus-stop', camera: BUS_STOP });
    expect(both.status).toBe(400);
    const neither = await postImage(`${server.url}/v1/analyze`, image('bus.jpg'));
    expect(neither.status).toBe(400);
    expect((await json(neither)).error.message).toMatch(/camera is required/);
    const notImage = await postImage(`${server.url}/v1/analyze`, Buffer.from('plain text, not a picture'), { camera_id: 'bus-stop' });
    expect(notImage.status).toBe(415);
    const badInline = await postImage(`${server.url}/v1/analyze`, image('bus.jpg'), { camera: '{"zones": [' });
    expect(badInline.status).toBe(400);

    expect((await fetch(`${server.url}/v1/cameras/bus-stop`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${server.url}/v1/cameras/bus-stop`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await put('bus-stop', BUS_STOP)).status).toBe(201);
  });
});

describe('cameras persist, and the pipeline config file is loaded at start', () => {
  it('keeps API cameras across a restart; file cameras are read-only through the API', async () => {
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(file, [
      'priorities: {high: URGENT}',
      'cameras:',
      '  from-file:',
      `    ${JSON.stringify(BUS_STOP)}`,
    ].join('\n'));
    await server.close();
    server = await startServer({ dataDir: join(dir, 'data'), pipelineConfig: file });
    const listed = (await json(await fetch(`${server.url}/v1/cameras`))).cameras;
    expect(listed.map((c: { id: string; origin: string }) => [c.id, c.origin])).toEqual([['bus-stop', 'api'], ['from-file', 'file']]);
    const viaFile = await json(await postImage(`${server.url}/v1/analyze`, image('bus.jpg'), { camera_id: 'from-file' }));
    expect(viaFile).toMatchObject({ risk_level: 'high', priority: 'URGENT' });
    const refused = await put('from-file', BUS_STOP);
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.message).toMatch(/defined in the pipeline config file/);
  });

  it('refuses to start on an invalid pipeline file, naming the path', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ cameras: { gate: { zones: [{ name: 'z', polygon: [[0, 0], [1, 0]], risk: 'high' }] } } }));
    await expect(startServer({ dataDir: join(dir, 'other'), pipelineConfig: file })).rejects.toThrow(
      `pipeline config file ${file}: /cameras/gate/zones/0/polygon: needs at least 3 points`,
    );
  });
});

describe('argus analyze (CLI)', () => {
  it('analyses a frame with a camera config file', async () => {
    const camera = join(dir, 'camera.json');
    writeFileSync(camera, JSON.stringify(BUS_STOP));
    const { stdout } = await promisify(execFile)(process.execPath, [ARGUS_CLI, 'analyze', join(IMAGES_DIR, 'bus.jpg'), '--camera-config', camera, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ARGUS_MODELS_DIR: MODELS_DIR, ARGUS_DATA_DIR: join(dir, 'cli-data') },
    });
    checkBusStop(JSON.parse(stdout));
  });
});
