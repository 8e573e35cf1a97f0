import rateLimit from '@fastify/rate-limit';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import fp from 'fastify-plugin';
import { errors } from '../../errors.js';
import { isLoopback } from '../loopback.js';

export interface LimitsOptions {
  /** Requests per minute per key (per address for anonymous clients off loopback); 0 = off. */
  perMinute: number;
  /** Requests in flight per API key; 0 = no cap. */
  concurrentPerKey: number;
  /** Event-loop delay (ms) beyond which non-public routes answer 503; 0 = off. */
  maxEventLoopDelayMs: number;
  /** Longest a request body may take to arrive before a 408 and a closed connection. */
  bodyTimeoutMs: number;
  /** Called for every request refused by a limit (metrics). */
  onLimited?: (kind: 'rate' | 'concurrency' | 'pressure' | 'slow_body') => void;
  /**
   * Where request rates are counted when several API nodes serve one deployment: the Redis the
   * queue uses, so N nodes allow a key its limit once, not N times. In this process when absent.
   */
  redis?: { client: Redis; prefix: string };
}

const SAMPLE_INTERVAL_MS = 1_000;
/**
 * Period of the event-loop delay sampler's timer. @fastify/under-pressure fixes it at 10 ms: 100
 * wakeups a second, which with prom-client's own 10 ms monitor made an idle API process wake 188
 * times a second (strace) and spend about 5.5 ms of CPU a second doing nothing. At 100 ms the
 * check sees the same stalls (it sheds on delays of hundreds of ms) for a tenth of the wakeups.
 */
const LOOP_RESOLUTION_MS = 100;

const publicRoute = (request: FastifyRequest) => request.routeOptions.config?.scope === 'public';

/**
 * Per-client limits: a request rate per API key (@fastify/rate-limit, 429 + Retry-After), a cap on
 * one key's requests in flight (429), and overload shedding (503 + Retry-After when the event
 * loop lags, measured as @fastify/under-pressure does but with a coarser timer). Public routes (health) are never limited, so a load
 * balancer still sees the node while it sheds load. Without API keys, loopback clients are not
 * rate limited: they are the machine's own users. Register after the auth plugin and before routes.
 */
export const limitsPlugin = fp(async (app: FastifyInstance, options: LimitsOptions) => {
  // Slowloris: a body trickling in holds a socket and a parser. Node's own requestTimeout does not
  // fire once the request has reached its handler (measured on Node 20: a body dripping one byte
  // per 200 ms was never cut off), so each request with an unfinished body gets its own deadline.
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.complete) return;
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      options.onLimited?.('slow_body');
      const socket = request.raw.socket;
      if (!reply.raw.headersSent) {
        const body = JSON.stringify({ error: errors.requestTimeout(options.bodyTimeoutMs).toJSON() });
        reply.raw.writeHead(408, { 'content-type': 'application/json; charset=utf-8', connection: 'close', 'content-length': Buffer.byteLength(body) });
        reply.raw.end(body, () => socket.destroy());
      } else {
        socket.destroy();
      }
    }, options.bodyTimeoutMs);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
    request.raw.once('end', () => clearTimeout(timer));
  });

  if (options.perMinute > 0) {
    await app.register(rateLimit, {
      max: options.perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.principal?.id ?? `ip:${request.ip}`,
      allowList: (request) => publicRoute(request) || (!request.principal && isLoopback(request.ip)),
      onExceeded: () => options.onLimited?.('rate'),
      errorResponseBuilder: (_request, context) => errors.rateLimited(context.max, Math.max(1, Math.ceil(context.ttl / 1000))),
      ...(options.redis && {
        redis: options.redis.client,
        nameSpace: `${options.redis.prefix}:rate-limit:`,
        // Redis down: requests are not refused for a limit that cannot be counted (the queue
        // itself answers 503 meanwhile); the connection given fails fast instead of queueing.
        skipOnError: true,
      }),
    });
  }

  if (options.concurrentPerKey > 0) {
    const inFlight = new Map<string, number>();
    app.addHook('onRequest', async (request, reply) => {
      const key = request.principal?.id;
      if (!key) return;
      const now = inFlight.get(key) ?? 0;
      if (now >= options.concurrentPerKey) {
        options.onLimited?.('concurrency');
        throw errors.tooManyInFlight(options.concurrentPerKey);
      }
      inFlight.set(key, now + 1);
      // 'close' fires once however the exchange ends: answered, failed or abandoned by the client.
      reply.raw.once('close', () => {
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left <= 0) inFlight.delete(key);
        else inFlight.set(key, left);
      });
    });
  }

  if (options.maxEventLoopDelayMs > 0) {
    // Building the app (schema compilation, migrations) blocks the loop for seconds, and the
    // first samples would count that as load: the check is armed two sample periods after ready.
    let armed = false;
    const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    let delayMs = 0;
    let sampler: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      histogram.enable();
      sampler = setInterval(() => {
        // As under-pressure: how late, on average, the sampler's ticks ran over the last period.
        delayMs = histogram.count > 0 ? Math.max(0, histogram.mean / 1e6 - LOOP_RESOLUTION_MS) : 0;
        histogram.reset();
      }, SAMPLE_INTERVAL_MS);
      sampler.unref();
      setTimeout(() => (armed = true), 2 * SAMPLE_INTERVAL_MS).unref();
    });
    app.addHook('onClose', async () => {
      clearInterval(sampler);
      histogram.disable();
    });
    // Health and metrics stay answered: shedding them would make a busy node look dead.
    app.addHook('onRequest', async (request) => {
      if (!armed || delayMs <= options.maxEventLoopDelayMs || publicRoute(request) || request.url === '/metrics') return;
      options.onLimited?.('pressure');
      throw errors.overloaded(`Argus is overloaded (eventLoopDelay: ${Math.round(delayMs)} ms).`, 5);
    });
  }
}, { name: 'argus-limits', dependencies: ['argus-auth'] });
