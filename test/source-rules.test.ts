/**
 * Video and stream sources are held to the image-URL rules (src/service/fetch-url.ts): loopback,
 * private and link-local addresses are refused before anything connects, redirects to such places
 * are not followed (by Argus or by ffmpeg), and camera networks need an explicit entry in
 * `streamAllowlist`. Real servers on loopback play the sources: 127.0.0.2 is "the camera" (the
 * one address allowlisted), 127.0.0.1 the place it must not lead to.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postJson, startServer, type TestServer } from './helpers.js';

const CAMERA = { classes: ['person'], conf: 0.4 };

/** A TCP listener that only counts who connects: the place a redirect tries to send ffmpeg. */
async function recorder(host = '127.0.0.1'): Promise<{ server: TcpServer; port: number; connections: () => number }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return { server, port: (server.address() as AddressInfo).port, connections: () => count };
}

async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const close = (server?: { close(cb: () => void): unknown; closeAllConnections?: () => void }) =>
  new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

async function putCamera(url: string): Promise<void> {
  const put = await fetch(`${url}/v1/cameras/cam`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CAMERA) });
  expect([200, 201]).toContain(put.status);
}

describe('without an allowlist', () => {
  let server: TestServer;
  let open: Awaited<ReturnType<typeof recorder>>;

  beforeAll(async () => {
    open = await recorder();
    server = await startServer();
    await putCamera(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await close(open?.server);
  });

  it('refuses video and stream URLs to loopback, link-local and private addresses with 400, before connecting', async () => {
    const closed = await closedPort();
    const urls = [
      `http://127.0.0.1:${open.port}/x.mp4`,
      `http://localhost:${open.port}/x.mp4`,
      `http://[::1]:${open.port}/x.mp4`,
      `http://[::ffff:127.0.0.1]:${open.port}/x.mp4`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/cam.mjpg',
      `rtsp://127.0.0.1:${open.port}/stream`,
      'rtsp://192.168.1.20/stream',
      'rtsps://172.16.0.9/live',
    ];
    for (const url of urls) {
      const video = await postJson(`${server.url}/v1/video/analyze`, { url, camera: CAMERA });
      expect({ url, status: video.status }).toEqual({ url, status: 400 });
      expect((await json(video)).error.code).toBe('url_not_allowed');
      const stream = await postJson(`${server.url}/v1/streams`, { url, camera_id: 'cam', fps: 2 });
      expect({ url, status: stream.status }).toEqual({ url, status: 400 });
      const body = await json(stream);
      expect(body.error.code).toBe('url_not_allowed');
      // Says how to allow a camera network.
      expect(body.error.message).toContain('ARGUS_STREAM_ALLOWLIST');
    }
    expect((await json(await fetch(`${server.url}/v1/streams`))).streams).toEqual([]);
    // Nothing reached the open port, and an open port answers exactly as a closed one does.
    expect(open.connections()).toBe(0);
    const answer = async (port: number) => (await json(await postJson(`${server.url}/v1/streams`, { url: `http://127.0.0.1:${port}/cam`, camera_id: 'cam' }))).error.message.replaceAll(String(port), 'PORT');
    expect(await answer(open.port)).toBe(await answer(closed));
    expect(open.connections()).toBe(0);
  });
});

describe('with a camera network allowlisted (127.0.0.2)', () => {
  let server: TestServer;
  let forbidden: Awaited<ReturnType<typeof recorder>>;
  let httpCamera: Server;
  let rtspCamera: TcpServer;
  let mjpeg: Server;
  let redirectUrl: string;
  let rtspUrl: string;
  let mjpegUrl: string;

  beforeAll(async () => {
    forbidden = await recorder('127.0.0.1');
    // An http source that redirects to a forbidden address (loopback, not allowlisted).
    httpCamera = createServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${forbidden.port}/steal` }).end());
    await new Promise<void>((resolve) => httpCamera.listen(0, '127.0.0.2', resolve));
    redirectUrl = `http://127.0.0.2:${(httpCamera.address() as AddressInfo).port}/cam.mp4`;
    // An RTSP camera that answers every request with a redirect to the forbidden address.
    rtspCamera = createTcpServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        const cseq = /CSeq:\s*(\d+)/i.exec(chunk.toString())?.[1] ?? '1';
        socket.write(`RTSP/1.0 302 Moved Temporarily\r\nCSeq: ${cseq}\r\nLocation: rtsp://127.0.0.1:${forbidden.port}/stream\r\n\r\n`);
      });
    });
    await new Promise<void>((resolve) => rtspCamera.listen(0, '127.0.0.2', resolve));
    rtspUrl = `rtsp://127.0.0.2:${(rtspCamera.address() as AddressInfo).port}/stream`;
    // A well-behaved MJPEG camera on the allowlisted address.
    const frame = await sharp(image('bus.jpg')).resize(270, 360).jpeg({ quality: 80 }).toBuffer();
    mjpeg = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=f' });
      const timer = setInterval(() => res.write(Buffer.concat([Buffer.from(`--f\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`), frame, Buffer.from('\r\n')])), 100);
      req.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => mjpeg.listen(0, '127.0.0.2', resolve));
    mjpegUrl = `http://127.0.0.2:${(mjpeg.address() as AddressInfo).port}/stream.mjpg`;

    server = await startServer({ streamAllowlist: ['127.0.0.2'] });
    await putCamera(server.url);
  });
  afterAll(async () => {
    await server?.close();
    for (const s of [httpCamera, rtspCamera, mjpeg, forbidden?.server]) await close(s);
  });

  it('analyses an allowlisted camera stream', async () => {
    const started = await postJson(`${server.url}/v1/streams`, { url: mjpegUrl, camera_id: 'cam', fps: 2 });
    expect(started.status).toBe(201);
    const { id } = await json(started);
    await eventually(async () => ((await json(await fetch(`${server.url}/v1/streams/${id}`))).frames_out >= 1 ? true : undefined), 60_000);
    expect((await fetch(`${server.url}/v1/streams/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('does not follow an http redirect from the camera to a forbidden address (video job and stream)', async () => {
    const submitted = await postJson(`${server.url}/v1/video/analyze`, { url: redirectUrl, camera: CAMERA });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const job = await eventually(async () => {
      const record = await json(await fetch(`${server.url}/v1/jobs/${id}`));
      return record.status === 'failed' || record.status === 'succeeded' ? record : undefined;
    }, 60_000);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('url_not_allowed');

    const stream = await json(await postJson(`${server.url}/v1/streams`, { url: redirectUrl, camera_id: 'cam', fps: 2 }));
    const view = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/streams/${stream.id}`));
      return current.reconnects >= 2 ? current : undefined;
    }, 30_000);
    expect(view.last_error).toMatch(/not allowed|refused/i);
    await fetch(`${server.url}/v1/streams/${stream.id}`, { method: 'DELETE' });
    expect(forbidden.connections()).toBe(0);
  });

  it('does not let ffmpeg follow an RTSP redirect from the camera', async () => {
    const stream = await json(await postJson(`${server.url}/v1/streams`, { url: rtspUrl, camera_id: 'cam', fps: 2 }));
    expect(stream.id).toBeTruthy();
    const view = await eventually(async () => {
      const current = await json(await fetch(`${server.url}/v1/streams/${stream.id}`));
      return current.reconnects >= 2 ? current : undefined;
    }, 30_000);
    expect(view.last_error).toMatch(/redirect/i);
    await fetch(`${server.url}/v1/streams/${stream.id}`, { method: 'DELETE' });
    expect(forbidden.connections()).toBe(0);
  });

  it('allowlists camera sources only: image URLs to the same address are still refused', async () => {
    const response = await postJson(`${server.url}/v1/detect`, { url: `http://127.0.0.2:${(mjpeg.address() as AddressInfo).port}/x.jpg` });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('url_not_allowed');
  });
});
