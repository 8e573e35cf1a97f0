import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';

export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded: some default model is missing.' }),
  version: Type.String(),
  uptime_s: Type.Number(),
  problems: Type.Array(Type.String(), { description: 'What is missing or broken, and how to fix it (status degraded).' }),
  notices: Type.Array(Type.String(), { description: 'What a user should know that does not stop serving (status stays ok).' }),
  models: Type.Array(Type.Object({
    alias: Type.String(),
    task: Type.String(),
    available: Type.Boolean({ description: 'Its files are installed.' }),
    loaded: Type.Boolean({ description: 'A worker has it in memory now.' }),
    state: Type.String({ description: 'unloaded | loading | ready | unavailable' }),
    reason: Type.Optional(Type.String()),
  })),
  workers: Type.Array(Type.Object({
    pid: Type.Optional(Type.Integer()),
    model: Type.String(),
    state: Type.String(),
    rss_mb: Type.Number(),
    requests: Type.Integer(),
    provider: Type.Optional(Type.String()),
  })),
  jobs: Type.Object({ queued: Type.Integer(), running: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() }),
});

export type Health = Static<typeof HealthResponse>;

/** What anyone gets: whether the node serves. The details name paths, pids and counts. */
const PublicHealth = Type.Object({ status: HealthResponse.properties.status });

export interface HealthRouteOptions {
  health: () => Promise<Health>;
  /** Whether this caller gets the details (a valid key; with no keys, loopback callers). */
  detailed: (request: FastifyRequest) => boolean;
}

export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, { health, detailed }) => {
  app.get('/healthz', {
    schema: {
      tags: ['system'],
      summary: 'Status of models, workers and jobs',
      description: 'Public. The status for everyone; models, workers (pids, memory), jobs, problems and notices for callers with an API key (with no keys configured: callers on this machine).',
      response: { 200: Type.Union([HealthResponse, PublicHealth]) },
    },
  }, async (request) => {
    const full = await health();
    return detailed(request) ? full : { status: full.status };
  });

  // The original services' liveness probe.
  app.get('/health', {
    schema: { tags: ['system'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('healthy') }) } },
  }, async () => ({ status: 'healthy' as const }));
};
