import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../service/metrics.js';
import { toArgusError } from './errors.js';

/**
 * HTTP metrics and their endpoint: every answer counted by route pattern (never the raw URL, so
 * ids do not explode the label set), method and status; every 4xx counted by its error code; and
 * `GET /metrics` in Prometheus text format (admin scope when API keys are on; see auth.ts).
 */
export const metricsPlugin = fp(async (app: FastifyInstance, { metrics }: { metrics: Metrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const labels = { method: request.method, route };
    metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    // A 404 of an unknown route never reaches onError (the not-found handler answers it).
    if (reply.statusCode === 404 && !request.routeOptions.url) metrics.rejected.inc({ code: 'route_not_found' });
  });
  app.addHook('onError', async (_request, _reply, error: FastifyError) => {
    const mapped = toArgusError(error);
    if (mapped.status >= 400 && mapped.status < 500) metrics.rejected.inc({ code: mapped.code });
  });
  app.get('/metrics', {
    schema: { hide: true },
    config: { stats: false },
  }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.text()));
}, { name: 'argus-metrics' });
