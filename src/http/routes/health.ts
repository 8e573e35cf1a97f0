import type { FastifyPluginAsync } from 'fastify';
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
  ffmpeg: Type.Optional(Type.Object({
    available: Type.Boolean({ description: 'Video analysis and live streams work.' }),
    source: Type.Optional(Type.Union([Type.Literal('configured'), Type.Literal('system'), Type.Literal('packaged')], { description: 'ARGUS_FFMPEG_PATH, the system ffmpeg on PATH, or the one packaged with Argus (npm).' })),
    path: Type.Optional(Type.String()),
    version: Type.Optional(Type.String({ description: 'As `ffmpeg -version` says it.' })),
    libavformat: Type.Optional(Type.Integer({ description: 'Major version: 58 is ffmpeg 4.x, 61 is 7.x.' })),
    package: Type.Optional(Type.String({ description: 'The npm packages of the packaged build.' })),
    problem: Type.Optional(Type.String({ description: 'Why no ffmpeg works, and what to do.' })),
  }, { description: 'Which ffmpeg video and streams run; absent for the first moment after start, while it is checked.' })),
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
