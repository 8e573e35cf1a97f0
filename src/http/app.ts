import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { queueBoardRoutes } from './routes/admin/queues.js';
import type { Config } from '../config/load.js';
import type { InferenceService } from '../service/inference.js';
import type { SearchService } from '../features/search/service.js';
import type { FilesService } from '../features/files/service.js';
import type { SceneService } from '../features/scene/service.js';
import type { SystemService } from '../service/system.js';
import type { HistoryService } from '../service/history.js';
import type { FaceGalleryService } from '../features/faces/gallery.js';
import type { StatsCollector } from '../service/stats.js';
import { statsPlugin } from './plugins/stats.js';
import { eventRoutes } from './routes/v1/events.js';
import { historyRoutes } from './routes/v1/history.js';
import { statsRoutes } from './routes/v1/stats.js';
import { errorsPlugin } from './plugins/errors.js';
import { authPlugin, isTrustedCaller } from './plugins/auth.js';
import { headersPlugin } from './plugins/headers.js';
import { limitsPlugin } from './plugins/limits.js';
import { metricsPlugin } from './plugins/metrics.js';
import { keyRoutes } from './routes/v1/keys.js';
import type { KeyRing } from '../service/keys.js';
import type { Metrics } from '../service/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { detectionServiceRoutes } from './routes/compat/detection-service.js';
import { droneAnalysisRoutes, droneAnalyzeHook } from './routes/compat/drone-analysis.js';
import { deepstackRoutes } from './routes/compat/deepstack.js';
import { embeddingServiceRoutes } from './routes/compat/embedding-service.js';
import { recognizerRoutes } from './routes/compat/recognizer.js';
import { redocRoutes } from './routes/redoc.js';
import { webRoutes } from './routes/web.js';
import { healthRoutes } from './routes/health.js';
import { detectRoutes } from './routes/v1/detect.js';
import { jobRoutes } from './routes/v1/jobs.js';
import { modelRoutes } from './routes/v1/models.js';
import { openAiRoutes } from './routes/openai/index.js';
import { sceneRoutes } from './routes/v1/scene.js';
import { perceptionRoutes } from './routes/v1/perception.js';
import { faceGalleryRoutes } from './routes/v1/face-gallery.js';
import { recognitionRoutes } from './routes/v1/recognition.js';
import { systemRoutes } from './routes/v1/system.js';
import { ErrorResponse } from './schemas.js';
import { acceptImageUrls, acceptSingleFileArrays, ajvFileKeyword, collectFile } from './uploads.js';
import { acceptQueryParams } from './query-params.js';
import { typedJsonValidators } from './validators.js';

export interface HttpDeps {
  config: Config;
  log: Logger;
  service: InferenceService;
  system: SystemService;
  search: SearchService;
  scene: SceneService;
  /** Stored images and their recognition (the car recognizer's API). */
  files: FilesService;
  /** The face gallery (people registered by name) and recognition against it. */
  gallery: FaceGalleryService;
  /** The dashboard's result history and live job feed. */
  history: HistoryService;
  /** Request statistics (fed by every response, read by /v1/system/stats and /v1/events). */
  stats: StatsCollector;
  version: string;
  /** API keys (auth is off while it holds none). */
  keys: KeyRing;
  /** Prometheus metrics, served at GET /metrics. */
  metrics: Metrics;
  /** The model queues of a distributed deployment, for the queue dashboard (absent when embedded). */
  queues?: () => Queue[];
  /** A distributed deployment's Redis, where every API node counts request rates (absent when embedded). */
  limitsRedis?: Redis;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Builds the Fastify app: plugins, then every surface's routes. Routes validate and shape only. */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // A client's x-request-id is kept when it is a sane token, so logs join up across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // JSON bodies carry base64 images: 4/3 of the upload limit plus room for the other fields.
    bodyLimit: Math.ceil((config.maxUploadBytes * 4) / 3) + 64 * 1024,
    // Slow headers are cut off by Node (checked every connectionsCheckingInterval); slow bodies by
    // the limits plugin, since Node stops timing a request once its handler runs.
    requestTimeout: config.bodyTimeoutMs,
    http: { connectionsCheckingInterval: Math.min(1_000, config.bodyTimeoutMs) },
    ajv: {
      // allowUnionTypes: a `type: [...]` list is how a field that may be a string or an array is
      // declared without anyOf, whose branches would coerce (unwrap) one-element arrays.
      customOptions: { coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false, allowUnionTypes: true },
      plugins: [ajvFileKeyword],
    },
    // Cast: Fastify types the factory by its own compiler's option types.
    schemaController: { compilersFactory: { buildValidator: typedJsonValidators as never } },
  });
  // Fastify keeps keep-alive sockets open for 72 s and, on close, ends only those idle at that
  // moment: a request in flight at SIGTERM held shutdown up for 72 s after its answer. While
  // closing, answers say `connection: close`, so each socket ends with its request.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  // No route takes plain text; without this parser such bodies get a clear 415.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorResponse);
  await app.register(errorsPlugin);
  await app.register(statsPlugin, { stats: deps.stats });
  // Security before any route: auth sets each route's scope as it is added, limits hook onto routes.
  await app.register(headersPlugin, { corsOrigins: config.corsOrigins });
  await app.register(authPlugin, { keys: deps.keys });
  await app.register(limitsPlugin, {
    perMinute: config.rateLimitPerMinute,
    concurrentPerKey: config.maxConcurrentPerKey,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    onLimited: (kind) => deps.metrics.limited.inc({ kind }),
    redis: deps.limitsRedis && { client: deps.limitsRedis, prefix: config.queuePrefix },
  });
  await app.register(metricsPlugin, { metrics: deps.metrics });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    onFile: collectFile,
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 50, fieldSize: 1024 * 1024, parts: 60 },
  });
  // Before any route (and before the OpenAPI plugin reads them): JSON image routes also take {"url"}.
  app.addHook('onRoute', acceptImageUrls);
  app.addHook('onRoute', acceptSingleFileArrays);
  app.addHook('onRoute', acceptQueryParams);
  await app.register(openApiPlugin, { version: deps.version });
  await app.register(redocRoutes, { title: 'Argus' });

  await app.register(healthRoutes, {
    health: () => deps.system.health(),
    detailed: (request) => isTrustedCaller(request, deps.keys),
    drone: () => deps.scene.droneHealth(),
  });
  await app.register(detectRoutes, { prefix: '/v1', service: deps.service });
  await app.register(jobRoutes, { prefix: '/v1', service: deps.service });
  await app.register(modelRoutes, { prefix: '/v1', system: deps.system });
  await app.register(systemRoutes, { prefix: '/v1', system: deps.system });
  await app.register(statsRoutes, { prefix: '/v1', stats: deps.stats });
  await app.register(keyRoutes, { prefix: '/v1', keys: deps.keys });
  await app.register(historyRoutes, { prefix: '/v1', history: deps.history });
  await app.register(eventRoutes, { prefix: '/v1', history: deps.history, stats: deps.stats, system: deps.system });
  const routeDeps = { config: deps.config, service: deps.service, system: deps.system };
  await app.register(recognitionRoutes, { prefix: '/v1', ...routeDeps, search: deps.search });
  await app.register(perceptionRoutes, { prefix: '/v1', ...routeDeps });
  // The drone service's clients POST its own body to /v1/analyze: that one route answers both.
  const drone = { service: deps.service, scene: deps.scene };
  await app.register(faceGalleryRoutes, { prefix: '/v1', ...routeDeps, gallery: deps.gallery });
  await app.register(sceneRoutes, { prefix: '/v1', ...routeDeps, scene: deps.scene, analyzeAlsoServes: droneAnalyzeHook(drone) });
  await app.register(openAiRoutes, { prefix: '/v1', ...routeDeps });
  await app.register(detectionServiceRoutes, { service: deps.service });
  await app.register(recognizerRoutes, { ...routeDeps, files: deps.files });
  await app.register(embeddingServiceRoutes, routeDeps);
  await app.register(droneAnalysisRoutes, drone);
  await app.register(deepstackRoutes, { ...routeDeps, gallery: deps.gallery });
  await app.register(webRoutes, routeDeps);
  if (deps.queues) await app.register(queueBoardRoutes, { queues: deps.queues });
  return app;
}
