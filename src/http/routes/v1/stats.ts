import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { StatsCollector } from '../../../service/stats.js';
import { errorResponses } from '../../schemas.js';

const Point = {
  requests: Type.Integer(),
  errors: Type.Integer({ description: 'Responses with status 500 or above.' }),
  rejected: Type.Integer({ description: 'Responses with status 400–499.' }),
  p50_ms: Type.Union([Type.Number(), Type.Null()], { description: 'Latency percentiles (ms, from a log-scale histogram: within 15%); null without requests.' }),
  p95_ms: Type.Union([Type.Number(), Type.Null()]),
  p99_ms: Type.Union([Type.Number(), Type.Null()]),
};

const StatsResponse = Type.Object({
  window_s: Type.Integer(),
  now: Type.Integer({ description: 'Unix ms.' }),
  totals: Type.Object(Point),
  series: Type.Array(Type.Object({ t: Type.Integer({ description: 'Unix ms of the second.' }), ...Point }), { description: 'One point per complete second, oldest first.' }),
  routes: Type.Array(Type.Object({ method: Type.String(), route: Type.String(), ...Point }), { description: 'Per route pattern, busiest first.' }),
});

/** GET /v1/system/stats: request counts and latency of the last minutes, from memory (reset at restart). */
export const statsRoutes: FastifyPluginAsync<{ stats: StatsCollector }> = async (app, { stats }) => {
  app.get('/system/stats', {
    schema: {
      tags: ['system'],
      summary: 'Requests per second and latency percentiles over the last minutes, overall and per route',
      querystring: Type.Object({ window_s: Type.Integer({ minimum: 1, maximum: 300, default: 300 }) }),
      response: { 200: StatsResponse, ...errorResponses },
    },
  }, async (request) => stats.snapshot((request.query as { window_s: number }).window_s));
};
