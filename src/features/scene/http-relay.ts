/**
 * The relay for http(s) video sources: ffmpeg reads `http://127.0.0.1:<port>/<token>/<name>`,
 * and each of its requests (a GET, with a `Range` when it seeks, as MP4 files need) is made to the
 * real source by the guarded fetcher of `fetch-url.ts`: the host resolved and checked, the checked
 * address connected to, redirects followed by Argus and checked hop by hop. ffmpeg only ever sees
 * the final answer, so it has no redirect to follow.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ArgusError, errors } from '../../errors.js';
import { shown, type UrlFetcher } from '../../service/fetch-url.js';
import { listenOnLoopback, type RelayedSource } from './source-relay.js';

/** Answer headers ffmpeg needs to read and seek; nothing else crosses (no cookies, no server names). */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'];

/** Starts a relay for one http(s) source; every request ffmpeg makes through it is checked anew. */
export async function openHttpRelay(source: string, fetcher: UrlFetcher): Promise<RelayedSource> {
  const url = new URL(source);
  // The last path segment keeps its extension: ffmpeg's format probe uses it as a hint.
  const name = (url.pathname.split('/').pop() ?? '').replace(/[^\w.-]/g, '') || 'source';
  const path = `/${randomUUID()}/${name}`;
  let error: ArgusError | undefined;

  const relay = async (request: IncomingMessage, reply: ServerResponse): Promise<void> => {
    const controller = new AbortController();
    reply.once('close', () => controller.abort());
    const headers: Record<string, string> = {};
    if (typeof request.headers.range === 'string') headers.range = request.headers.range;
    try {
      const { url: answered, response } = await fetcher.open(source, { signal: controller.signal, headers, accept: '*/*' });
      const status = response.statusCode ?? 502;
      if (status >= 400) error = errors.urlFetchFailed(shown(answered), `the server answered HTTP ${status}.`);
      const passed: Record<string, string> = {};
      for (const header of PASSED_HEADERS) {
        const value = response.headers[header];
        if (typeof value === 'string') passed[header] = value;
      }
      reply.writeHead(status, passed);
      if (request.method === 'HEAD') {
        response.destroy();
        reply.end();
        return;
      }
      await pipeline(response, reply).catch(() => undefined);
    } catch (failure) {
      if (controller.signal.aborted) return;
      error = failure instanceof ArgusError ? failure : errors.urlUnreachable(url.host, (failure as Error).message);
      if (!reply.headersSent) reply.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      reply.end(error.message);
    }
  };

  const server = createServer((request, reply) => {
    if (request.url !== path || (request.method !== 'GET' && request.method !== 'HEAD')) {
      reply.writeHead(404).end();
      return;
    }
    void relay(request, reply);
  });
  const port = await listenOnLoopback(server);
  return {
    input: `http://127.0.0.1:${port}${path}`,
    protocols: 'http,tcp',
    get error() {
      return error;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
