import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** A long-lived server-sent-events response with named events (`event: frame`, `data: {json}`). */
export interface EventChannel {
  send(event: string, data: unknown): void;
  /** Ends the response (idempotent). */
  end(): void;
  /** True once the response ended or the client went away. */
  readonly closed: boolean;
  /** Runs once when the channel closes, whoever closed it. */
  onClose(listener: () => void): void;
}

/** Comment lines keep idle connections open through proxies that time out silent responses. */
const HEARTBEAT_MS = 15_000;

/**
 * Starts a named-event stream on `reply` (200, text/event-stream). Unlike `sendEventStream` (the
 * OpenAI-style `data:`-only stream that ends with `[DONE]`), events here carry names and the
 * stream lasts until the producer ends it or the client leaves. Call it once the request is known
 * to be good: from here on, failures are events, not statuses.
 */
export function openEventChannel(reply: FastifyReply): EventChannel {
  const stream = new PassThrough();
  const listeners: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (!stream.writableEnded) stream.end();
    for (const listener of listeners.splice(0)) listener();
  };
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  reply.raw.once('close', close);
  void reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream);
  return {
    send(event, data) {
      if (!closed) stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end: close,
    get closed() {
      return closed;
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}

/** Whether a request asked for server-sent events (`Accept: text/event-stream` or `?stream=true`). */
export function wantsEventStream(accept: string | undefined, stream: unknown): boolean {
  return stream === true || stream === 'true' || (accept ?? '').includes('text/event-stream');
}
