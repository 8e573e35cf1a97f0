/**
 * Hostile input (beyond test/bad-input.test.ts): each gets a clear 4xx, the server keeps serving,
 * and a request sent alongside is not affected.
 */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postImage, postJson, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ maxUploadBytes: 2 * 1024 * 1024, bodyTimeoutMs: 1_500 });
});
afterAll(async () => {
  await server?.close();
});

const detect = () => `${server.url}/v1/detect`;

async function expectError(response: Response, status: number, code?: string): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text);
  if (code) expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
}

/** A good detection runs beside the bad request and must come back right. */
async function goodDetect(): Promise<void> {
  const response = await postImage(detect(), image('bus.jpg'));
  expect(response.status).toBe(200);
  expect((await json(response)).detections.filter((d: { label: string }) => d.label === 'person').length).toBe(4);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A complete, valid PNG of `side`×`side` black 1-bit pixels: a few hundred KB that inflate to gigapixels. */
function pngBomb(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // 1-bit greyscale
  const row = Math.ceil(side / 8) + 1;
  // Deflate a band of rows and repeat it is not valid zlib; one stream of the first rows is enough
  // for a decoder to start allocating. The header alone decides the refusal.
  const idat = deflateSync(Buffer.alloc(row * 64), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** bus.jpg with its frame header (SOF) claiming `width`×`height`. */
function jpegClaiming(width: number, height: number): Buffer {
  const jpeg = Buffer.from(image('bus.jpg'));
  for (let i = 2; i < jpeg.length - 9;) {
    if (jpeg[i] !== 0xff) throw new Error('not at a marker');
    const marker = jpeg[i + 1];
    const length = jpeg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
    i += 2 + length;
  }
  throw new Error('no SOF marker');
}

describe('decompression bombs are refused from the header, before any decoder runs', () => {
  it('a tiny PNG that inflates to 4 gigapixels', async () => {
    const bomb = pngBomb(65_000);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await Promise.all([expectError(await postImage(detect(), bomb, {}, 'image', 'bomb.png'), 413, 'image_too_large'), goodDetect()]);
    await expectError(await postJson(detect(), { image: bomb.toString('base64') }), 413, 'image_too_large');
  });

  it('a JPEG declaring 65000×65000', async () => {
    await Promise.all([expectError(await postImage(detect(), jpegClaiming(65_000, 65_000)), 413, 'image_too_large'), goodDetect()]);
  });
});

describe('formats are told by content, never by name or declared type', () => {
  it('a PNG named .jpg with a JPEG content type is read as the PNG it is', async () => {
    const png = await sharp(image('bus.jpg')).resize(405).png().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/jpeg' }), 'photo.jpg');
    const response = await fetch(detect(), { method: 'POST', body: form });
    expect(response.status).toBe(200);
  });

  it('text named .png with an image/png type is refused', async () => {
    const form = new FormData();
    form.append('image', new Blob(['#!/bin/sh\necho pwned\n'], { type: 'image/png' }), 'x.png');
    await expectError(await fetch(detect(), { method: 'POST', body: form }), 415, 'unsupported_media_type');
  });
});

describe('malformed multipart', () => {
  const raw = (body: string | Buffer, contentType: string) => fetch(detect(), { method: 'POST', headers: { 'content-type': contentType }, body });

  it('no boundary', async () => {
    await Promise.all([expectError(await raw('--x\r\n\r\nhello\r\n--x--\r\n', 'multipart/form-data'), 400), goodDetect()]);
  });

  it('a part that never ends (no closing boundary)', async () => {
    const body = `--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${'A'.repeat(10_000)}`;
    const response = await raw(body, 'multipart/form-data; boundary=b');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await goodDetect();
  });

  it('a part larger than the upload limit', async () => {
    const head = '--b\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n';
    const body = Buffer.concat([Buffer.from(head), Buffer.alloc(3 * 1024 * 1024, 0xff), Buffer.from('\r\n--b--\r\n')]);
    await expectError(await raw(body, 'multipart/form-data; boundary=b'), 413, 'payload_too_large');
  });

  it('10 000 fields', async () => {
    const form = new FormData();
    form.append('image', new Blob([image('bus.jpg')]), 'bus.jpg');
    for (let i = 0; i < 10_000; i++) form.append(`f${i}`, 'x');
    const response = await fetch(detect(), { method: 'POST', body: form });
    expect(response.status).toBe(413);
    expect(['too_many_fields', 'payload_too_large']).toContain((await json(response)).error.code);
    await goodDetect();
  });
});

describe('hostile JSON', () => {
  it('deeply nested JSON', async () => {
    // Parsed within the body limit (no stack overflow), then refused by the route's schema.
    const deep = `{"image": "${image('bus.jpg').toString('base64')}", "conf": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const response = await fetch(detect(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    await Promise.all([expectError(response, 400, 'invalid_params'), goodDetect()]);
  });

  it('JSON over the body limit', async () => {
    const huge = `{"image": "${'A'.repeat(4 * 1024 * 1024)}"}`;
    await expectError(await fetch(detect(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge }), 413, 'payload_too_large');
  });

  it('a base64 image one byte over the upload limit gets the same 413 as the same bytes uploaded', async () => {
    // bus.jpg padded after its end-of-image marker: a JPEG decoders read as it is.
    const limit = 2 * 1024 * 1024;
    const padded = (size: number) => Buffer.concat([image('bus.jpg'), Buffer.alloc(size - image('bus.jpg').length)]);
    const over = padded(limit + 1);
    await expectError(await postImage(detect(), over), 413, 'payload_too_large');
    for (const route of ['/v1/detect', '/v1/embed']) {
      await expectError(await postJson(`${server.url}${route}`, { image: over.toString('base64') }), 413, 'payload_too_large');
      await expectError(await postJson(`${server.url}${route}`, { image: `data:image/jpeg;base64,${over.toString('base64')}` }), 413, 'payload_too_large');
    }
    // At the limit exactly, both ways are taken.
    expect((await postJson(detect(), { image: padded(limit).toString('base64') })).status).toBe(200);
    expect((await postImage(detect(), padded(limit))).status).toBe(200);
  });

  it('base64 with characters outside the alphabet, and a data URL of something else', async () => {
    await expectError(await postJson(detect(), { image: '%%%%' + image('bus.jpg').toString('base64') }), 400, 'invalid_base64');
    await expectError(await postJson(detect(), { image: `data:text/html;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}` }), 415);
  });
});

describe('file names never reach the filesystem', () => {
  it('path tricks, NUL and unicode in upload names', async () => {
    const before = new Set(readdirSync(server.dataDir, { recursive: true }) as string[]);
    for (const name of ['../../../../tmp/argus-escape.jpg', '..\\..\\evil.jpg', 'a\u0000b.jpg', '\u202egpj.exe', '/etc/passwd']) {
      const form = new FormData();
      form.append('task', 'detect');
      form.append('image', new Blob([image('bus.jpg')]), name);
      const response = await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: form });
      expect(response.status, name).toBe(202);
      expect((await postImage(detect(), image('bus.jpg'), {}, 'image', name)).status, name).toBe(200);
    }
    const added = (readdirSync(server.dataDir, { recursive: true }) as string[]).filter((p) => !before.has(p));
    for (const path of added) expect(path).toMatch(/^[\w./-]+$/);
    expect(added.join('\n')).not.toMatch(/escape|evil|passwd|exe/);
  });
});

describe('slow clients', () => {
  it('a body trickling in (slowloris) is cut off; other requests are served meanwhile', async () => {
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.write(`POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"image":"`);
    const drip = setInterval(() => socket.writable && socket.write('A'), 200);
    await goodDetect();
    await closed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('request_timeout');
    await goodDetect();
  });
});
