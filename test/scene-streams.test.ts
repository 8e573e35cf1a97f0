import { createServer as createTcpServer } from 'node:net';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postJson, startServer, type TestServer } from './helpers.js';
import { processAlive, processesWith, readEvents } from './scene-helpers.js';

/**
 * A camera on bus.jpg shrunk to 405×540: 1 px = 2 cm, and a zone over the left pavement where the
 * two men stand (feet near x 74 and 141), leaving out the person cut by the frame's edge (x ≈ 15).
 */
const CAMERA = {
  classes: ['person', 'bus'],
  conf: 0.4,
  homography: { matrix: [[0.02, 0, 0], [0, 0.02, 0], [0, 0, 1]] },
  zones: [{ name: 'left-pavement', space: 'image', polygon: [[40, 380], [210, 380], [210, 540], [40, 540]], risk: 'medium' }],
  rules: [{ type: 'in_zone', zone: 'left-pavement', classes: ['person'] }],
};

let server: TestServer;
let mjpeg: Server;
let mjpegUrl: string;
const clients = new Set<ServerResponse>();

/** Serves multipart/x-mixed-replace JPEG frames at 10 fps on loopback, as an MJPEG camera does. */
async function startMjpegCamera(): Promise<void> {
  const frame = await sharp(image('bus.jpg')).resize(405, 540).jpeg({ quality: 85 }).toBuffer();
  mjpeg = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=argusframe', 'cache-control': 'no-cache' });
    clients.add(res);
    const timer = setInterval(() => {
      res.write(`--argusframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`);
      res.write(frame);
      res.write('\r\n');
    }, 100);
    req.on('close', () => {
      clearInterval(timer);
      clients.delete(res);
    });
  });
  await new Promise<void>((resolve) => mjpeg.listen(0, '127.0.0.1', resolve));
  mjpegUrl = `http://127.0.0.1:${(mjpeg.address() as AddressInfo).port}/stream.mjpg`;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  await startMjpegCamera();
  // The test camera is on loopback: allowlisted as a camera network, as an operator would.
  server = await startServer({ streamAllowlist: ['127.0.0.1'] });
  const put = await fetch(`${server.url}/v1/cameras/street`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CAMERA) });
  expect(put.status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  for (const res of clients) res.destroy();
  await new Promise((resolve) => mjpeg?.close(resolve));
});

describe('live streams', () => {
  it('analyses an MJPEG stream live (tracked objects, events, rates) and stops it cleanly', async () => {
    const started = await postJson(`${server.url}/v1/streams`, { url: mjpegUrl, camera_id: 'street', fps: 4 });
    expect(started.status).toBe(201);
    const stream = await json(started);
    expect(started.headers.get('location')).toBe(`/v1/streams/${stream.id}`);
    expect(stream).toMatchObject({ camera_id: 'street', url: mjpegUrl, fps: 4, state: expect.stringMatching(/starting|running/) });

    const events = await readEvents(await fetch(`${server.url}/v1/streams/${stream.id}/events`), (_e, all) => all.filter((x) => x.event === 'frame').length >= 4);
    expect(events[0]).toMatchObject({ event: 'state', data: { id: stream.id } });
    const frames = events.filter((e) => e.event === 'frame');
    // The same people keep their track ids from frame to frame.
    const ids = frames.map((f) => f.data.objects.filter((o: { label: string }) => o.label === 'person').map((o: { track_id: number }) => o.track_id).sort());
    expect(ids[3].length).toBeGreaterThanOrEqual(3);
    expect(ids[3]).toEqual(ids[2]);
    expect(frames[3].data.objects.find((o: { label: string }) => o.label === 'bus')).toMatchObject({ ground: { x: expect.any(Number), y: expect.any(Number) } });
    // The two men on the left pavement enter the zone's watch once, in the first analysed frame.
    const zoneEvents = events.filter((e) => e.event === 'event');
    expect(zoneEvents).toHaveLength(1);
    expect(zoneEvents[0].data).toMatchObject({ rule: 'in_zone_0', risk_level: 'medium', message: '2 people in zone left-pavement' });

    const listed = (await json(await fetch(`${server.url}/v1/streams`))).streams.find((s: { id: string }) => s.id === stream.id);
    expect(listed).toMatchObject({ state: 'running', reconnects: 0 });
    expect(listed.frames_out).toBeGreaterThanOrEqual(4);
    expect(listed.frames_in).toBeGreaterThanOrEqual(listed.frames_out);
    expect(listed.fps_in).toBeGreaterThan(0);
    expect(listed.fps_out).toBeGreaterThan(0);
    expect(listed.lag_ms).toBeGreaterThan(0);
    // Every frame that arrived was analysed, dropped for a newer one, or is still waiting or in analysis.
    expect(listed.frames_in - listed.frames_out - listed.dropped_frames).toBeGreaterThanOrEqual(0);
    expect(listed.frames_in - listed.frames_out - listed.dropped_frames).toBeLessThanOrEqual(2);

    // An events subscriber is told the stream stopped, and its response ends.
    const watcher = fetch(`${server.url}/v1/streams/${stream.id}/events`).then((r) => readEvents(r));
    const pid: number = (await json(await fetch(`${server.url}/v1/streams/${stream.id}`))).ffmpeg_pid;
    expect(processAlive(pid)).toBe(true);
    // ffmpeg reads the camera through Argus's relay (a loopback URL ending in the camera's file name).
    expect(processesWith('/stream.mjpg')).toEqual([pid]);
    const stopped = await fetch(`${server.url}/v1/streams/${stream.id}`, { method: 'DELETE' });
    expect(stopped.status).toBe(200);
    expect(await json(stopped)).toMatchObject({ id: stream.id, state: 'stopped' });
    expect(processAlive(pid)).toBe(false);
    expect(processesWith('/stream.mjpg')).toEqual([]);
    const watched = await watcher;
    expect(watched[watched.length - 1]).toMatchObject({ event: 'state', data: { state: 'stopped' } });
    expect((await fetch(`${server.url}/v1/streams/${stream.id}`)).status).toBe(404);
    expect((await json(await fetch(`${server.url}/v1/streams`))).streams).toEqual([]);
  });

  it('reports reconnecting for a source that never connects, and still stops it (no ffmpeg left behind)', async () => {
    const port = await closedPort();
    const stream = await json(await postJson(`${server.url}/v1/streams`, { url: `http://127.0.0.1:${port}/never-answers.mjpg`, camera_id: 'street', fps: 2 }));
    const view = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/streams/${stream.id}`));
      return current.state === 'reconnecting' && current.reconnects >= 2 ? current : undefined;
    }, 30_000);
    expect(view.last_error).toMatch(/could not be reached \(ECONNREFUSED/);
    expect(view.frames_in).toBe(0);
    expect(view.retry_in_s).toBeGreaterThanOrEqual(0);
    // After two failures the wait is the second backoff step (1 s, then 2 s); growth and cap are unit-tested.
    expect(view.retry_in_s).toBeLessThanOrEqual(2);

    // Stop it while an ffmpeg attempt is running, if one can be caught, else between attempts.
    await eventually(async () => (processesWith('/never-answers.mjpg').length ? true : undefined), 5_000, 10).catch(() => undefined);
    const stopped = await fetch(`${server.url}/v1/streams/${stream.id}`, { method: 'DELETE' });
    expect(await json(stopped)).toMatchObject({ state: 'stopped' });
    expect(processesWith('/never-answers.mjpg')).toEqual([]);
    expect((await fetch(`${server.url}/v1/streams/${stream.id}`)).status).toBe(404);
  });

  it('refuses bad requests: unknown camera or stream, fps ≤ 0, a non-network URL', async () => {
    expect((await postJson(`${server.url}/v1/streams`, { url: mjpegUrl, camera_id: 'nowhere' })).status).toBe(404);
    for (const fps of [0, -1]) {
      const bad = await postJson(`${server.url}/v1/streams`, { url: mjpegUrl, camera_id: 'street', fps });
      expect(bad.status).toBe(400);
      expect((await json(bad)).error.message).toMatch(/fps/);
    }
    expect((await postJson(`${server.url}/v1/streams`, { url: 'file:///dev/video0', camera_id: 'street' })).status).toBe(400);
    expect((await fetch(`${server.url}/v1/streams/nope`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.url}/v1/streams/nope/events`)).status).toBe(404);
  });

  it('stops every stream when the server shuts down', async () => {
    const local = await startServer({ streamAllowlist: ['127.0.0.1'] });
    await fetch(`${local.url}/v1/cameras/street`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CAMERA) });
    const url = mjpegUrl.replace('/stream.mjpg', '/shutdown.mjpg');
    const stream = await json(await postJson(`${local.url}/v1/streams`, { url, camera_id: 'street', fps: 2 }));
    const running = await eventually(async () => {
      const view = await json(await fetch(`${local.url}/v1/streams/${stream.id}`));
      return view.state === 'running' ? view : undefined;
    }, 30_000);
    const subscriber = fetch(`${local.url}/v1/streams/${stream.id}/events`).then((r) => readEvents(r));
    await new Promise((r) => setTimeout(r, 300));
    await local.close();
    expect(processAlive(running.ffmpeg_pid)).toBe(false);
    expect(processesWith('/shutdown.mjpg')).toEqual([]);
    const seen = await subscriber;
    expect(seen[seen.length - 1]).toMatchObject({ event: 'state', data: { state: 'stopped' } });
  });
});
