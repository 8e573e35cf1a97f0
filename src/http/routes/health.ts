import type { FastifyPluginAsync } from 'fastify';
import Type, { type Static } from 'typebox';

export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded: some default model is missing.' }),
  version: Type.String(),
  timestamp: Type.Number({ description: 'Unix time in seconds, as the replaced vision API answered.' }),
  uptime_s: Type.Number(),
  problems: Type.Array(Type.String(), { description: 'What is missing or broken, and how to fix it (status degraded).' }),
  notices: Type.Array(Type.String(), { description: 'What a user should know that does not stop serving (status stays ok).' }),
  queue: Type.Optional(Type.Object({
    state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('disconnected')]),
    since: Type.Number({ description: 'Unix time (ms) of the last change of state.' }),
    target: Type.String({ description: 'The Redis URL, without credentials.' }),
    sentinel: Type.Boolean({ description: 'Reached through Redis Sentinel.' }),
    drops: Type.Integer({ description: 'Times the connection dropped since start.' }),
    last_error: Type.Optional(Type.String()),
  }, { description: 'Distributed mode: this node\'s connection to Redis (status is degraded while it is down).' })),
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

export const healthRoutes: FastifyPluginAsync<{ health: () => Promise<Health> }> = async (app, { health }) => {
  app.get('/healthz', {
    schema: { tags: ['system'], summary: 'Status of models, workers and jobs', response: { 200: HealthResponse } },
  }, health);

  // The original services' liveness probe.
  app.get('/health', {
    schema: { tags: ['system'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('healthy') }) } },
  }, async () => ({ status: 'healthy' as const }));
};
