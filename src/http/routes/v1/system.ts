import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { SystemService } from '../../../service/system.js';
import { round2 } from '../../../numbers.js';
import { errorResponses } from '../../schemas.js';

const WorkerInfo = Type.Object({
  pid: Type.Optional(Type.Integer()),
  model: Type.String(),
  models: Type.Array(Type.String()),
  state: Type.String({ description: 'starting | idle | busy | stopping | exited' }),
  busy: Type.Boolean(),
  in_flight: Type.Optional(Type.Integer({ description: 'Requests sent to it and not yet answered: 2 while it decodes the next during an inference (overlap).' })),
  rss_mb: Type.Number({ description: 'Resident memory now, MiB (read from /proc).' }),
  requests: Type.Integer({ description: 'Requests served.' }),
  uptime_s: Type.Integer(),
  idle_s: Type.Integer(),
  provider: Type.Optional(Type.String({ description: 'Execution provider the session really got.' })),
  fallback_reason: Type.Optional(Type.String({ description: 'Why it is not on the configured provider.' })),
  node: Type.Optional(Type.String({ description: 'Worker node it runs on (distributed mode).' })),
  host: Type.Optional(Type.String()),
});

const ModelInfo = Type.Object({
  alias: Type.String(),
  state: Type.String(),
  workers: Type.Integer(),
  queued: Type.Integer(),
  pinned: Type.Boolean(),
  rss_mb: Type.Number(),
  loads: Type.Integer({ description: 'Workers spawned for it so far.' }),
  sha256: Type.Optional(Type.String()),
  provider: Type.Optional(Type.String()),
  overlap: Type.Optional(Type.Boolean({ description: 'Its workers decode the next request while a run computes (models.<alias>.overlap).' })),
  last_error: Type.Optional(Type.String()),
  last_used_s: Type.Optional(Type.Integer()),
});

const StatusResponse = Type.Object({
  memory: Type.Object({
    total_mb: Type.Number(),
    free_mb: Type.Number({ description: 'Available memory (MemAvailable).' }),
    budget_mb: Type.Number({ description: 'ARGUS_MEMORY_BUDGET_MB for all model workers together.' }),
    used_by_workers_mb: Type.Number(),
    api_rss_mb: Type.Number(),
    total_gb: Type.Number({ description: 'The replaced vision API\'s names for the same figures, in GB.' }),
    available_gb: Type.Number(),
    used_percent: Type.Number(),
    models_loaded_gb: Type.Number(),
  }),
  workers: Type.Array(WorkerInfo),
  models: Type.Array(ModelInfo),
  jobs: Type.Object({ queued: Type.Integer(), running: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() }),
  uptime_s: Type.Integer(),
  config: Type.Object({
    idle_timeout_seconds: Type.Integer({ description: 'ARGUS_IDLE_TTL_S: idle seconds before a model is unloaded (0: never).' }),
    memory_budget_mb: Type.Number(),
  }),
});

const EvictResponse = Type.Object({
  status: Type.Literal('evicted'),
  alias: Type.String({ description: 'The name the request used.' }),
  model: Type.String({ description: 'The model whose workers stopped (differs from alias for a task name such as image-gen).' }),
  stopped: Type.Integer({ description: 'Worker processes stopped.' }),
  freed_mb: Type.Number({ description: 'Their resident memory, now returned to the machine.' }),
});

type SystemStatus = Awaited<ReturnType<SystemService['status']>>;

/**
 * The status as GET /v1/system/status answers it: beside Argus's MiB figures, the replaced vision
 * API's GB ones under its names (its clients read them at the same path).
 */
export function statusView(status: SystemStatus) {
  const { memory } = status;
  const gb = (mb: number) => round2(mb / 1024);
  return {
    ...status,
    memory: {
      ...memory,
      total_gb: gb(memory.total_mb),
      available_gb: gb(memory.free_mb),
      used_percent: memory.total_mb ? Math.round((1 - memory.free_mb / memory.total_mb) * 1000) / 10 : 0,
      models_loaded_gb: gb(memory.used_by_workers_mb),
    },
  };
}

export const systemRoutes: FastifyPluginAsync<{ system: SystemService }> = async (app, { system }) => {
  app.get('/system/status', {
    schema: { tags: ['system'], summary: 'Memory, workers and models', response: { 200: StatusResponse } },
  }, async () => statusView(await system.status()));

  app.post('/system/evict/:alias', {
    schema: {
      tags: ['system'],
      summary: "Stop a model's workers now",
      description: 'Answers 409 while the model is busy, unless force=true (its running requests then fail with 503).',
      params: Type.Object({ alias: Type.String({ maxLength: 100 }) }),
      querystring: Type.Object({ force: Type.Boolean({ default: false }) }),
      response: { 200: EvictResponse, ...errorResponses },
    },
  }, async (request) => {
    const { alias } = request.params as { alias: string };
    const { force } = request.query as { force: boolean };
    return system.evict(alias, force);
  });
};
