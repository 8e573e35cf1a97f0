/**
 * A real HTTP server on loopback for pull tests: serves real model files with Range support, and
 * can misbehave the ways real servers do (cut the connection, ignore Range, stall, redirect).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  body?: Buffer;
  /** JSON answer (for the Hub API). */
  json?: unknown;
  /** Answer 200 with the whole body even to a Range request, as servers without range support do. */
  ignoreRange?: boolean;
  /** On the first request only: send this many body bytes, then destroy the socket. */
  cutAfter?: number;
  /** Send this many bytes, then nothing more (for idle timeouts). */
  stallAfter?: number;
  /** Send the body in chunks of this size… */
  chunkBytes?: number;
  /** …this many milliseconds apart (a slow link, so progress has time to show). */
  chunkDelayMs?: number;
  /** 302 to this path. */
  redirect?: string;
}

export interface SeenRequest {
  path: string;
  range?: string;
}

export interface ModelServer {
  url: string;
  routes: Map<string, Route>;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startModelServer(routes: Record<string, Route> = {}): Promise<ModelServer> {
  const table = new Map(Object.entries(routes));
  const requests: SeenRequest[] = [];
  const cutDone = new Set<string>();
  const server = createServer((req, res) => {
    const path = decodeURI((req.url ?? '/').split('?')[0]);
    requests.push({ path, range: req.headers.range });
    const route = table.get(path);
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    if (route.redirect) {
      res.writeHead(302, { location: route.redirect }).end();
      return;
    }
    if (route.json !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route.json));
      return;
    }
    serveBody(route, path, req, res, cutDone);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes: table,
    requests,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

function serveBody(route: Route, path: string, req: IncomingMessage, res: ServerResponse, cutDone: Set<string>): void {
  const body = route.body ?? Buffer.alloc(0);
  const total = body.length;
  let start = 0;
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (match && !route.ignoreRange) {
    start = Number(match[1]);
    if (start >= total) {
      res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': total - start, 'content-range': `bytes ${start}-${total - 1}/${total}`, 'accept-ranges': 'bytes' });
  } else {
    res.writeHead(200, { 'content-length': total, 'accept-ranges': route.ignoreRange ? 'none' : 'bytes' });
  }
  const part = body.subarray(start);
  if (route.cutAfter !== undefined && !cutDone.has(path)) {
    cutDone.add(path);
    res.write(part.subarray(0, route.cutAfter), () => res.destroy());
    return;
  }
  if (route.stallAfter !== undefined) {
    res.write(part.subarray(0, route.stallAfter));
    return;
  }
  if (!route.chunkBytes) {
    res.end(part);
    return;
  }
  let at = 0;
  const next = () => {
    if (res.destroyed) return;
    if (at >= part.length) {
      res.end();
      return;
    }
    res.write(part.subarray(at, at + route.chunkBytes!));
    at += route.chunkBytes!;
    setTimeout(next, route.chunkDelayMs ?? 0);
  };
  next();
}
