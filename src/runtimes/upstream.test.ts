import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ArgusError } from '../errors.js';
import { parseServerSentEvents, retryAfterSeconds, UpstreamClient } from './upstream.js';

async function events(chunks: string[]) {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const out = [];
  for await (const event of parseServerSentEvents(body())) out.push(event);
  return out;
}

describe('parseServerSentEvents', () => {
  it('reads data events with LF, CRLF and CR line ends', async () => {
    expect(await events(['data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\n'])).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }]);
  });

  it('joins multi-line data, keeps the event name, skips comments and empty events', async () => {
    expect(await events([': ping\n\n\n\nevent: delta\ndata: line 1\ndata:line 2\nid: 7\n\n'])).toEqual([{ event: 'delta', data: 'line 1\nline 2' }]);
  });

  it('copes with chunks split anywhere, even between CR and LF or inside a UTF-8 character', async () => {
    const text = 'data: {"content":"héllo"}\r\n\r\ndata: [DONE]\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      async function* body() {
        yield bytes.subarray(0, cut);
        yield bytes.subarray(cut);
      }
      const out = [];
      for await (const event of parseServerSentEvents(body())) out.push(event.data);
      expect(out).toEqual(['{"content":"héllo"}', '[DONE]']);
    }
  });

  it('dispatches a last event that lacks its blank line', async () => {
    expect(await events(['data: last'])).toEqual([{ data: 'last' }]);
  });
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates, and falls back to 1', () => {
    expect(retryAfterSeconds('7')).toBe(7);
    expect(retryAfterSeconds('0.2')).toBe(1);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds(null)).toBe(1);
    expect(retryAfterSeconds('soon')).toBe(1);
  });
});

describe('UpstreamClient', () => {
  // A loopback server stands in for an upstream (none can be reached here); it echoes what it got.
  async function withServer(test: (baseUrl: string) => Promise<void>) {
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('latin1')));
      req.on('end', () => {
        if (req.url === '/v1/limited') {
          res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' }).end('{"error":{"message":"too many"}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: req.headers['content-type'], auth: req.headers.authorization, raw }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  }

  it('sends JSON and multipart bodies with the key, to the base URL without a doubled slash', async () => {
    await withServer(async (baseUrl) => {
      const client = new UpstreamClient({ alias: 'm', baseUrl, apiKey: 'k1' });
      const json = await client.postJson<{ type: string; auth: string; raw: string }>('/echo', { a: 1 });
      expect(json).toEqual({ type: 'application/json', auth: 'Bearer k1', raw: '{"a":1}' });
      const form = new FormData();
      form.append('prompt', 'a red bus');
      form.append('image', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'image.png');
      const sent = await client.postForm<{ type: string; raw: string }>('/echo', form);
      expect(sent.type).toMatch(/^multipart\/form-data; boundary=/);
      expect(sent.raw).toContain('a red bus');
      expect(sent.raw).toContain('filename="image.png"');
    });
  });

  it('maps a 429 to upstream_rate_limited with the upstream\'s Retry-After', async () => {
    await withServer(async (baseUrl) => {
      const error = await new UpstreamClient({ alias: 'm', baseUrl }).postJson('/limited', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgusError);
      expect(error).toMatchObject({ code: 'upstream_rate_limited', status: 429, retryAfterS: 3 });
    });
  });
});
