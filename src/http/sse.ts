import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { toArgusError } from './plugins/errors.js';

/** Writes one server-sent event whose data is `data` as JSON. */
export type SendEvent = (data: unknown) => void;

/**
 * Answers with server-sent events (`data: {json}` … `data: [DONE]`), as OpenAI streams. The
 * status line waits for the first event: until `produce` sends one, a failure is still an ordinary
 * HTTP error with its status and JSON body (bad input, unknown model, 503 while loading). After
 * the 200 is out, a failure is sent as a last `data: {"error": {code, message}}` event, which
 * OpenAI clients raise as an error.
 */
export async function sendEventStream(reply: FastifyReply, produce: (send: SendEvent) => Promise<void>): Promise<FastifyReply> {
  const stream = new PassThrough();
  let started = false;
  let markStarted!: () => void;
  const firstEvent = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const send: SendEvent = (data) => {
    stream.write(`data: ${JSON.stringify(data)}\n\n`);
    if (!started) {
      started = true;
      markStarted();
    }
  };
  const work = produce(send).then(
    () => {
      stream.end('data: [DONE]\n\n');
    },
    (error: unknown) => {
      if (!started) throw error;
      const mapped = toArgusError(error as Error);
      reply.log.warn({ code: mapped.code, msg: mapped.message }, 'stream failed after it started');
      stream.end(`data: ${JSON.stringify({ error: mapped.toJSON() })}\n\n`);
    },
  );
  await Promise.race([firstEvent, work]);
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    // Proxies (nginx) buffer responses unless told not to; a buffered stream arrives all at the end.
    .header('x-accel-buffering', 'no')
    .send(stream);
}

/** An AbortSignal that fires when the client goes away before the reply has been sent in full. */
export function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
