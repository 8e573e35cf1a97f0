import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { StatsCollector } from '../../service/stats.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: leave this route out of the request statistics (event streams, the dashboard's static files). */
    stats?: boolean;
  }
}

/**
 * Feeds every answered request to the statistics collector: route pattern, method, status and
 * time to the last byte. Long-lived event streams opt out (their "latency" is the connection's
 * lifetime), as do the dashboard's static files.
 */
export const statsPlugin = fp(async (app: FastifyInstance, { stats }: { stats: StatsCollector }) => {
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config?.stats === false) return;
    stats.record({ route: request.routeOptions.url ?? '(no route)', method: request.method, status: reply.statusCode, durationMs: reply.elapsedTime });
  });
}, { name: 'argus-stats' });
