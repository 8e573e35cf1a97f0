import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, IMAGES_DIR, image, json, postImage, postJson, startServer, tempDir, type TestServer } from './helpers.js';
import { readEvents } from './scene-helpers.js';

/**
 * The test video: bus.jpg padded with 750 grey pixels each side (2310×1080), and a 1560×1080 crop
 * window panning right at 150 px/s, 5 s at 10 fps. The photo stays fully in view the whole time and
 * everything in it moves left at 150 px/s. The camera's homography scales 1 px to 0.02 m, so every
 * tracked object moves at 150 × 0.02 = 3.0 m/s on the ground.
 */
const PAN_PX_PER_S = 150;
const METRES_PER_PX = 0.02;
const EXPECTED_MPS = PAN_PX_PER_S * METRES_PER_PX;
/** A vertical line at x = 800 px in the frame (16 m on the ground). */
const LINE_X_PX = 800;
/** Feet x (bottom-centre) of the three confident people in bus.jpg, from the detection reference boxes. */
const PEOPLE_FEET_X = [146, 282.5, 739.5];

const CAMERA = {
  classes: ['person', 'bus'],
  conf: 0.4,
  homography: { matrix: [[METRES_PER_PX, 0, 0], [0, METRES_PER_PX, 0], [0, 0, 1]] },
  rules: [
    { type: 'line_crossing', name: 'kerb-line', line: [[LINE_X_PX * METRES_PER_PX, 0], [LINE_X_PX * METRES_PER_PX, 30]], classes: ['person'], risk: 'medium' },
    { type: 'speed', above: 2, classes: ['bus'], risk: 'high' },
  ],
};

let server: TestServer;
const dir = tempDir('argus-video-');
const video = join(dir, 'pan.mp4');
let files: Server;
let filesUrl: string;

beforeAll(async () => {
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-loop', '1', '-framerate', '10', '-i', join(IMAGES_DIR, 'bus.jpg'),
    '-vf', `pad=2310:1080:750:0:color=gray,crop=1560:1080:'${PAN_PX_PER_S}*t':0`,
    '-t', '5', '-r', '10', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video,
  ]);
  // The URL source is served on loopback: allowlisted as a camera network, as an operator would.
  server = await startServer({ streamAllowlist: ['127.0.0.1'] });
  const put = await fetch(`${server.url}/v1/cameras/pan`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CAMERA) });
  expect(put.status).toBe(201);
  // The same video served over loopback HTTP, for the URL source.
  // With Range requests, as real file servers answer: ffmpeg seeks to the MP4's index at the end.
  files = createServer((req, res) => {
    const bytes = readFileSync(video);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range) return void res.writeHead(200, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': bytes.length }).end(bytes);
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    res.writeHead(206, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': end - start + 1 });
    res.end(bytes.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/pan.mp4`;
}, 180_000);

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => files?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function finished(id: string) {
  return eventually(async () => {
    const job = await json(await fetch(`${server.url}/v1/jobs/${id}`));
    return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
  }, 180_000, 250);
}

interface Track {
  id: number;
  label: string;
  first_t: number;
  last_t: number;
  frames: number;
  speed_mps?: number;
  path: Array<{ t: number; x: number; y: number }>;
}

describe('POST /v1/video/analyze on a panning video', () => {
  it('tracks every person through all 50 frames with one id each, at the panned speed within 10%', async () => {
    const response = await postImage(`${server.url}/v1/video/analyze`, readFileSync(video), { camera_id: 'pan', fps: '10' }, 'video', 'pan.mp4');
    expect(response.status).toBe(202);
    const submitted = await json(response);
    expect(response.headers.get('location')).toBe(`/v1/jobs/${submitted.id}`);
    expect(submitted).toMatchObject({ task: 'video-analyze', status: expect.stringMatching(/queued|running/) });
    const job = await finished(submitted.id);
    expect(job.error).toBeUndefined();
    // The upload is deleted once its job is done (ARGUS_KEEP_UPLOADS keeps it).
    expect(readdirSync(join(server.dataDir, 'videos'))).toEqual([]);
    const result = job.result;
    expect(result).toMatchObject({ camera_id: 'pan', fps: 10, requested_fps: 10, frames: 50, source: { kind: 'upload', width: 1560, height: 1080, fps: 10 }, model: { alias: 'yolov8n' } });
    expect(result.duration_s).toBeCloseTo(5, 5);

    const tracks: Track[] = result.tracks;
    const people = tracks.filter((t) => t.label === 'person');
    // One track per person for the whole video: nobody's id changed, no track broke in two. The
    // three people in full view are always found; the fourth, cut by the photo's left edge, is found
    // at about the confidence threshold, so it may or may not have a track (then a whole one too).
    expect(people.length).toBeGreaterThanOrEqual(3);
    expect(people.length).toBeLessThanOrEqual(4);
    expect(new Set(people.map((t) => t.id)).size).toBe(people.length);
    for (const track of people) {
      expect(track.first_t).toBe(0);
      expect(track.last_t).toBeCloseTo(4.9, 5);
      expect(track.frames).toBe(50);
      expect(Math.abs(track.speed_mps! - EXPECTED_MPS) / EXPECTED_MPS, `track ${track.id}: ${track.speed_mps} m/s`).toBeLessThan(0.1);
      // Its ground path runs right to left at the panned speed, end to end.
      const first = track.path[0];
      const last = track.path[track.path.length - 1];
      expect(Math.abs((first.x - last.x) / (last.t - first.t) - EXPECTED_MPS) / EXPECTED_MPS).toBeLessThan(0.1);
    }
    const bus = tracks.filter((t) => t.label === 'bus');
    expect(bus).toHaveLength(1);
    expect(Math.abs(bus[0].speed_mps! - EXPECTED_MPS) / EXPECTED_MPS).toBeLessThan(0.1);

    // Each person crosses the line once, when the pan brings their feet to x = 800 px.
    const crossings = result.events.filter((e: { rule: string }) => e.rule === 'kerb-line');
    expect(crossings).toHaveLength(3);
    const expectedTimes = PEOPLE_FEET_X.map((x) => (750 + x - LINE_X_PX) / PAN_PX_PER_S).filter((t) => t > 0 && t < 4.9).sort((a, b) => a - b);
    expect(crossings.map((e: { t: number }) => e.t).sort((a: number, b: number) => a - b).map((t: number, i: number) => Math.abs(t - expectedTimes[i]))).toSatisfy((d: number[]) => d.every((x) => x <= 0.25));
    expect(result.events.filter((e: { rule: string }) => e.rule === 'speed_1')).toMatchObject([{ risk_level: 'high', track_ids: [bus[0].id] }]);
    expect(result.risk_level).toBe('high');
    expect(result.priority).toBe('P2');
    expect(result.description).toMatch(new RegExp(`^${people.length} people and a bus tracked over 5\\.0 s: a bus \\(track \\d+\\) at \\d\\.\\d m/s; a person \\(track \\d+\\) crossed line kerb-line`));
  });

  it('streams frames as server-sent events while it runs, then the stored job', async () => {
    const response = await fetch(`${server.url}/v1/video/analyze?stream=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: filesUrl, camera_id: 'pan', fps: 5 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response, (e) => e.event === 'result');
    expect(events[0].event).toBe('job');
    const frames = events.filter((e) => e.event === 'frame');
    expect(frames).toHaveLength(25);
    expect(frames.map((f) => f.data.index)).toEqual([...Array(25).keys()]);
    expect(frames[10].data.objects.find((o: { label: string }) => o.label === 'bus')).toMatchObject({ track_id: expect.any(Number), ground: { x: expect.any(Number) } });
    const last = events[events.length - 1];
    expect(last.event).toBe('result');
    expect(last.data.status).toBe('succeeded');
    expect(last.data.result).toMatchObject({ frames: 25, fps: 5, source: { kind: 'url', url: filesUrl } });
    // GET /v1/jobs/{id} gives the same final result.
    expect(await json(await fetch(`${server.url}/v1/jobs/${events[0].data.id}`))).toEqual(last.data);
  });

  it('refuses what is not a video, bad sampling rates and unknown cameras', async () => {
    const text = await postImage(`${server.url}/v1/video/analyze`, Buffer.from('not a video at all\n'.repeat(50)), { camera_id: 'pan' }, 'video', 'clip.mp4');
    expect(text.status).toBe(415);
    expect((await json(text)).error.code).toBe('unsupported_media_type');
    const still = await postImage(`${server.url}/v1/video/analyze`, image('bus.jpg'), { camera_id: 'pan' }, 'video', 'bus.jpg');
    expect(still.status).toBe(415);
    expect((await json(still)).error.message).toMatch(/still image/);
    const audio = join(dir, 'tone.m4a');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', audio]);
    const noVideo = await postImage(`${server.url}/v1/video/analyze`, readFileSync(audio), { camera_id: 'pan' }, 'video', 'tone.m4a');
    expect(noVideo.status).toBe(422);
    expect((await json(noVideo)).error).toMatchObject({ code: 'invalid_video', message: expect.stringMatching(/no video stream/) });

    for (const fps of ['0', '-2']) {
      const bad = await postImage(`${server.url}/v1/video/analyze`, readFileSync(video), { camera_id: 'pan', fps }, 'video', 'pan.mp4');
      expect(bad.status, `fps ${fps}`).toBe(400);
      expect((await json(bad)).error.message).toMatch(/fps/);
    }
    const zeroJson = await postJson(`${server.url}/v1/video/analyze`, { url: filesUrl, camera_id: 'pan', fps: 0 });
    expect(zeroJson.status).toBe(400);
    const unknown = await postJson(`${server.url}/v1/video/analyze`, { url: filesUrl, camera_id: 'nowhere' });
    expect(unknown.status).toBe(404);
    const fileUrl = await postJson(`${server.url}/v1/video/analyze`, { url: 'file:///etc/passwd', camera_id: 'pan' });
    expect(fileUrl.status).toBe(400);
    const nothing = await postJson(`${server.url}/v1/video/analyze`, { camera_id: 'pan' });
    expect(nothing.status).toBe(400);
    // A URL that does not answer fails its job with the reason, and the server keeps serving.
    const dead = await json(await postJson(`${server.url}/v1/video/analyze`, { url: 'http://127.0.0.1:9/none.mp4', camera_id: 'pan' }));
    const failed = await finished(dead.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'url_unreachable', message: expect.stringMatching(/could not be reached \(ECONNREFUSED/) });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('without ffmpeg', () => {
  it('says so in /healthz notices and answers video and stream requests with 503', async () => {
    const bare = await startServer({ ffmpegPath: join(dir, 'no-such-ffmpeg') });
    try {
      const health = await eventually(async () => {
        const body = await json(await fetch(`${bare.url}/healthz`));
        return body.notices.some((n: string) => n.includes('ffmpeg')) ? body : undefined;
      });
      expect(health.status).toBe('ok');
      expect(health.notices.find((n: string) => n.includes('ffmpeg'))).toMatch(/Video analysis and live streams are off: .*apt-get install ffmpeg/);
      const videoResponse = await postJson(`${bare.url}/v1/video/analyze`, { url: 'http://127.0.0.1:9/x.mp4', camera: CAMERA });
      expect(videoResponse.status).toBe(503);
      expect((await json(videoResponse)).error.code).toBe('ffmpeg_missing');
      const stream = await postJson(`${bare.url}/v1/streams`, { url: 'http://127.0.0.1:9/x', camera_id: 'any' });
      expect(stream.status).toBe(503);
    } finally {
      await bare.close();
    }
  });
});
