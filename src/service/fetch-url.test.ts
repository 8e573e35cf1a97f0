import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgusError } from '../errors.js';
import { Allowlist, forbiddenReason, UrlFetcher, type UrlFetcherOptions } from './fetch-url.js';

// A real HTTP server on loopback stands in for the web (nothing else can be reached here); the
// fetcher reaches it only through the allowlist, as an operator would allow an internal host.
let server: Server;
let base: string;
let png: Buffer;
const hits: string[] = [];

function route(req: IncomingMessage, res: ServerResponse): void {
  hits.push(req.url ?? '');
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/car.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  else if (path === '/text') res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
  else if (path === '/missing') res.writeHead(404).end('no');
  else if (path === '/big-declared') res.writeHead(200, { 'content-type': 'image/png', 'content-length': '5000' }).end(Buffer.alloc(5000));
  else if (path === '/big-chunked') {
    res.writeHead(200, { 'content-type': 'image/png' });
    for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
    res.end();
  } else if (path === '/redirect') res.writeHead(302, { location: '/car.png' }).end();
  else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
  else if (path === '/to-loopback') res.writeHead(301, { location: `${base}/car.png` }).end();
  else if (path === '/hang') return; // never answers
  else if (path === '/stall') res.writeHead(200, { 'content-type': 'image/png' }).write(png.subarray(0, 10)); // a body that never ends
  else res.writeHead(500).end();
}

beforeAll(async () => {
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } }).png().toBuffer();
  server = createServer(route);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const fetcher = (options: Partial<UrlFetcherOptions> = {}) =>
  new UrlFetcher({ allowlist: [], maxBytes: 4096, connectTimeoutMs: 1000, timeoutMs: 3000, ...options });

async function refusal(promise: Promise<unknown>): Promise<ArgusError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ArgusError);
  return error as ArgusError;
}

describe('forbiddenReason', () => {
  const reason = (address: string) => forbiddenReason(ipaddr.parse(address));

  it('refuses every non-public IPv4 range and passes public unicast', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1', '240.0.0.1']) {
      expect(reason(address), address).toBeDefined();
    }
    expect(reason('93.184.216.34')).toBeUndefined();
    expect(reason('8.8.8.8')).toBeUndefined();
  });

  it('refuses non-public IPv6 and IPv4 carried inside IPv6 (mapped, SIIT, NAT64, 6to4)', () => {
    for (const address of ['::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
      '::ffff:0:7f00:1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '2002:a00:1::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:db8::1', '::7f00:1']) {
      expect(reason(address), address).toBeDefined();
    }
    expect(reason('::ffff:127.0.0.1')).toMatch(/127\.0\.0\.1.*loopback/);
    expect(reason('2606:4700:4700::1111')).toBeUndefined();
    expect(reason('::ffff:8.8.8.8')).toBeUndefined();
    expect(reason('64:ff9b::808:808')).toBeUndefined();
  });
});

describe('Allowlist', () => {
  it('matches exact host names, single addresses and CIDRs, and IPv4-mapped forms of them', () => {
    const list = new Allowlist(['images.internal', '10.0.0.0/8', '::1', '127.0.0.1']);
    expect(list.hasHost('IMAGES.internal.')).toBe(true);
    expect(list.hasHost('other.internal')).toBe(false);
    expect(list.hasAddress(ipaddr.parse('10.9.8.7'))).toBe(true);
    expect(list.hasAddress(ipaddr.parse('11.0.0.1'))).toBe(false);
    expect(list.hasAddress(ipaddr.parse('::1'))).toBe(true);
    expect(list.hasAddress(ipaddr.parse('::ffff:127.0.0.1'))).toBe(true);
    expect(list.hasAddress(ipaddr.parse('127.0.0.2'))).toBe(false);
  });
});

describe('UrlFetcher', () => {
  it('fetches an image from an allowlisted loopback server, following a redirect', async () => {
    const got = await fetcher({ allowlist: ['127.0.0.1'] }).fetchImage(`${base}/redirect`);
    expect(got.bytes.equals(png)).toBe(true);
    expect(got.contentType).toBe('image/png');
    expect(got.url).toBe(`${base}/car.png`);
  });

  it('refuses loopback, private, link-local and metadata addresses without the allowlist, before connecting', async () => {
    const before = hits.length;
    const port = (server.address() as AddressInfo).port;
    for (const url of [`${base}/car.png`, 'http://10.0.0.1/x.png', 'http://169.254.169.254/latest/meta-data/', `http://[::1]:${port}/car.png`,
      `http://[::ffff:127.0.0.1]:${port}/car.png`, `http://[::ffff:7f00:1]:${port}/car.png`, 'http://0.0.0.0/x.png', 'http://[64:ff9b::7f00:1]/x.png']) {
      const error = await refusal(fetcher().fetchImage(url));
      expect({ url, status: error.status, code: error.code }).toEqual({ url, status: 400, code: 'url_not_allowed' });
    }
    expect(hits.length).toBe(before);
  });

  it('refuses a name that resolves to a private address, and checks every address it resolves to', async () => {
    const resolveTo = (addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const metadata = await refusal(fetcher({ resolve: resolveTo(['169.254.169.254']) }).fetchImage('http://metadata.google.internal/computeMetadata/v1/'));
    expect(metadata.message).toMatch(/metadata\.google\.internal resolves to 169\.254\.169\.254.*linkLocal/);
    const mixed = await refusal(fetcher({ resolve: resolveTo(['93.184.216.34', '10.0.0.5']) }).fetchImage('http://mixed.example/x.png'));
    expect(mixed.code).toBe('url_not_allowed');
  });

  it('connects to the address it checked: the name is resolved once per hop (no rebinding window)', async () => {
    let lookups = 0;
    const rebinding = async () => {
      lookups++;
      // A rebinding server would answer differently the second time; the fetcher must not ask again.
      return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
    };
    const port = (server.address() as AddressInfo).port;
    const got = await fetcher({ allowlist: ['rebind.test'], resolve: rebinding }).fetchImage(`http://rebind.test:${port}/car.png`);
    expect(got.bytes.equals(png)).toBe(true);
    expect(lookups).toBe(1);
  });

  it('re-checks redirects: an allowlisted host redirecting to loopback is refused', async () => {
    const port = (server.address() as AddressInfo).port;
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const error = await refusal(fetcher({ allowlist: ['images.test'], resolve }).fetchImage(`http://images.test:${port}/to-loopback`));
    expect(error).toMatchObject({ status: 400, code: 'url_not_allowed' });
    expect(error.message).toMatch(/127\.0\.0\.1 is a loopback address/);
  });

  it('stops after 3 redirects', async () => {
    const error = await refusal(fetcher({ allowlist: ['127.0.0.1'] }).fetchImage(`${base}/loop`));
    expect(error).toMatchObject({ status: 422, code: 'url_fetch_failed' });
    expect(error.message).toMatch(/more than 3 redirects/);
  });

  it('refuses other schemes, credentials and malformed URLs', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x.png', 'gopher://x', 'http://user:pw@example.com/x.png', 'not a url']) {
      expect((await refusal(fetcher().fetchImage(url))).code, url).toBe('url_not_allowed');
    }
  });

  it('refuses what is not an image, is too large (declared or streamed), or failed upstream', async () => {
    const allowed = fetcher({ allowlist: ['127.0.0.1'] });
    expect(await refusal(allowed.fetchImage(`${base}/text`))).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await refusal(allowed.fetchImage(`${base}/big-declared`))).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await refusal(allowed.fetchImage(`${base}/big-chunked`))).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await refusal(allowed.fetchImage(`${base}/missing`))).toMatchObject({ status: 422, code: 'url_fetch_failed' });
  });

  it('times out a server that never answers (504) and reports an unreachable one (502)', async () => {
    const slow = fetcher({ allowlist: ['127.0.0.1'], timeoutMs: 300 });
    expect(await refusal(slow.fetchImage(`${base}/hang`))).toMatchObject({ status: 504, code: 'url_timeout' });
    expect(await refusal(slow.fetchImage(`${base}/stall`))).toMatchObject({ status: 504, code: 'url_timeout' });
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    expect(await refusal(fetcher({ allowlist: ['127.0.0.1'] }).fetchImage(`http://127.0.0.1:${port}/x.png`))).toMatchObject({ status: 502, code: 'url_unreachable' });
  });
});
