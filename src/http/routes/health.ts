import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
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

/**
 * `GET /health` is the liveness probe of two replaced services: the embedding service answered
 * `{"status": "healthy"}` (its README documents it), the drone/CCTV service `{"status": "ok",
 * "yolo": …, "blip": …}`. One answer serves both: the embedding service's documented status, plus
 * the drone service's two fields (its clients read those; they only checked the 200).
 */
const LivenessResponse = Type.Object({
  status: Type.Literal('healthy'),
  yolo: Type.Boolean({ description: "The drone service's API: its detector is installed (the original reported its use_yolo setting)." }),
  blip: Type.Boolean({ description: 'The drone service\'s API: a captioning model runs. Always false: captions are Argus\'s description sentence.' }),
});

/** What anyone gets: whether the node serves, and when it answered. The details name paths, pids and counts. */
const PublicHealth = Type.Object({ status: HealthResponse.properties.status, timestamp: HealthResponse.properties.timestamp });

/** What the health routes read: Argus's own health, who may see its details, and the drone service's two flags. */
export interface HealthRouteOptions {
  health: () => Promise<Health>;
  /** Whether this caller gets the details (a valid key; with no keys, loopback callers). */
  detailed: (request: FastifyRequest) => boolean;
  /** The drone service's `yolo` and `blip` for `GET /health`. */
  drone: () => { yolo: boolean; blip: boolean };
}

/** `GET /healthz` (Argus's) and `GET /health` (the replaced services' liveness probe). */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, { health, detailed, drone }) => {
  app.get('/healthz', {
    schema: {
      tags: ['system'],
      summary: 'Status of models, workers and jobs',
      description: 'Public. The status for everyone; models, workers (pids, memory), jobs, problems and notices for callers with an API key (with no keys configured: callers on this machine).',
      response: { 200: Type.Union([HealthResponse, PublicHealth]) },
    },
  }, async (request) => {
    const full = await health();
    return detailed(request) ? full : { status: full.status, timestamp: full.timestamp };
  });

  // The original services' liveness probe.
  app.get('/health', {
    schema: { tags: ['system'], summary: 'Liveness (the embedding and drone services\' probe)', response: { 200: LivenessResponse } },
  }, async () => ({ status: 'healthy' as const, ...drone() }));
};
