/**
 * The embedding service's API (POST /embed by URL or multipart, GET /health) and `{"url": …}` on
 * native tasks, against real servers and an image server on loopback: allowed only when the
 * allowlist names it, refused (with the reason) otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

const bus = image('bus.jpg');
let images: Server;
let origin: string;
let allowed: TestServer;
let locked: TestServer;
const hits: string[] = [];

beforeAll(async () => {
  images = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/bus.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bus.length }).end(bus);
    if (req.url === '/moved') return res.writeHead(302, { location: '/bus.jpg' }).end();
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
  });
  await new Promise<void>((done) => images.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  // Overload shedding is off: this shared machine stalls at times, and overload is not under test.
  allowed = await startServer({ urlAllowlist: ['127.0.0.1/32'], maxEventLoopDelayMs: 0 });
  locked = await startServer({ maxEventLoopDelayMs: 0 });
});

afterAll(async () => {
  await allowed?.close();
  await locked?.close();
  await new Promise((done) => images?.close(done));
});

describe('the original curl examples, replayed', () => {
  it('embeds an image by URL, and the same image sent as a file gives the same vector', async () => {
    // curl -X POST -H 'Content-Type: application/json' -d '{"url": "http://…/bus.jpg"}' http://host/embed
    const byUrl = await postJson(`${allowed.url}/embed`, { url: `${origin}/bus.jpg` });
    expect(byUrl.status).toBe(200);
    const a = await json(byUrl);
    expect(a).toMatchObject({ model: 'resnet18-embed', dimensions: 512 });
    expect(a.embedding).toHaveLength(512);
    // curl -F "image=@bus.jpg" http://host/embed
    const byFile = await postImage(`${allowed.url}/embed`, bus);
    expect(byFile.status).toBe(200);
    const b = await json(byFile);
    expect(b.embedding).toEqual(a.embedding);
    // L2-normalised, as the original service answered (embedding / np.linalg.norm(embedding)).
    const norm = Math.hypot(...a.embedding);
    expect(norm).toBeCloseTo(1, 5);
  });

  it('answers GET /health with {"status": "healthy"}', async () => {
    // curl http://host/health
    const response = await fetch(`${allowed.url}/health`);
    expect(response.status).toBe(200);
    // The status its README documents; yolo and blip are the drone service's fields on the shared path.
    expect(await json(response)).toMatchObject({ status: 'healthy' });
  });
});

describe('URL input on native tasks', () => {
  it('classifies and detects an image named by URL, following a redirect', async () => {
    const classified = await postJson(`${allowed.url}/v1/classify`, { url: `${origin}/moved` });
    expect(classified.status).toBe(200);
    expect((await json(classified)).predictions[0].label).toBe('minibus');
    const detected = await postJson(`${allowed.url}/v1/detect`, { url: `${origin}/bus.jpg` });
    expect(detected.status).toBe(200);
    expect((await json(detected)).detections.some((d: { label: string }) => d.label === 'bus')).toBe(true);
    const embedded = await postJson(`${allowed.url}/v1/embed`, { url: `${origin}/bus.jpg` });
    expect(embedded.status).toBe(200);
    expect((await json(embedded)).embedding).toHaveLength(512);
  });

  it('refuses what is not an image, a dead link, a redirect loop and a bad scheme, each with its reason', async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      [`${origin}/page.html`, 415, 'unsupported_media_type', /text\/html/],
      [`${origin}/missing.jpg`, 422, 'url_fetch_failed', /HTTP 404/],
      [`${origin}/loop`, 422, 'url_fetch_failed', /more than 3 redirects/],
      ['file:///etc/passwd', 400, 'url_not_allowed', /only http and https/],
      ['http://user:pw@127.0.0.1/x.jpg', 400, 'url_not_allowed', /credentials/],
    ];
    for (const [url, status, code, message] of cases) {
      const response = await postJson(`${allowed.url}/embed`, { url });
      expect(response.status, url).toBe(status);
      // FastAPI's dialect, as the original's clients read errors; Argus's code rides in a header.
      expect(response.headers.get('x-argus-error-code'), url).toBe(code);
      expect((await json(response)).detail, url).toMatch(message);
    }
    const empty = await postJson(`${allowed.url}/embed`, {});
    expect(empty.status).toBe(422);
    expect(await json(empty)).toEqual({ detail: [{ type: 'missing', loc: ['body', 'url'], msg: 'Field required', input: {} }] });
    expect((await postImage(`${allowed.url}/embed`, bus)).status).toBe(200);
  });
});

describe('without the allowlist', () => {
  it('refuses loopback, private and metadata addresses before connecting, on every surface', async () => {
    const before = hits.length;
    const targets: Array<[string, RegExp]> = [
      [`${origin}/bus.jpg`, /127\.0\.0\.1 is a loopback address/],
      ['http://[::1]:9/a.jpg', /loopback/],
      ['http://[::ffff:127.0.0.1]:9/a.jpg', /carries 127\.0\.0\.1/],
      ['http://169.254.169.254/latest/meta-data/', /linkLocal/],
      ['http://10.1.2.3/a.jpg', /private/],
    ];
    for (const [url, reason] of targets) {
      for (const path of ['/embed', '/v1/classify', '/v1/embed']) {
        const response = await postJson(`${locked.url}${path}`, { url });
        expect(response.status, `${path} ${url}`).toBe(400);
        expect(response.headers.get('x-argus-error-code')).toBe('url_not_allowed');
        const body = await json(response);
        const message = path === '/embed' ? body.detail : body.error.message;
        expect(message).toMatch(reason);
        expect(message).toMatch(/ARGUS_URL_ALLOWLIST/);
      }
    }
    // Refused before any connection: the image server never saw a request.
    expect(hits.length).toBe(before);
    const job = await postJson(`${locked.url}/v1/jobs`, { task: 'classify', url: `${origin}/bus.jpg` });
    expect(job.status).toBe(400);
    expect((await json(await fetch(`${locked.url}/health`))).status).toBe('healthy');
  });
});
