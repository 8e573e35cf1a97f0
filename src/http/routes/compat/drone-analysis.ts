/**
 * The drone/CCTV analysis service's API (FastAPI + Celery), unchanged for its clients:
 * `POST /v1/analyze` with its JSON body (answered on the native route: see {@link droneAnalyzeHook}),
 * `POST /v1/analyze_async`, `GET /v1/result_async/{task_id}`, `GET /v1/result/{analysis_id}`; its
 * `GET /health` fields are in routes/health.ts. An adapter: every analysis is the native `analyze`
 * task run as a durable job (so a result can be read back by id, as the original read its SQLite
 * rows), and drone-analysis-shape.ts translates the answers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import Type from 'typebox';
import { ArgusError, errors, type ErrorBody } from '../../../errors.js';
import type { JobRecord } from '../../../jobs/types.js';
import type { InferenceService } from '../../../service/inference.js';
import type { SceneService } from '../../../features/scene/service.js';
import { speaksDialect } from '../../error-dialects.js';
import { ownerOf } from '../../plugins/auth.js';
import { errorResponses } from '../../schemas.js';
import { abortOnDisconnect } from '../../sse.js';
import { decodeBase64Image } from '../../uploads.js';
import { checkDroneBody, isDroneRequest, type DroneBody } from './drone-analysis-body.js';
import { DroneAnalyzeRequest, DroneAnalyzeResponse, DroneAsyncResponse, DroneStoredResult } from './drone-analysis-schemas.js';
import { droneErrorCode, droneResult, isDroneJob, storedResult, type NativeAnalysis } from './drone-analysis-shape.js';

/** What the drone service's surface uses: the one inference service, and the scene façade for its settings. */
export interface DroneDeps {
  service: InferenceService;
  /** Its `drone` settings name the detector (the original's pipeline_config.json `yolo_model`). */
  scene: SceneService;
}

/**
 * The camera the original's frames are analysed with: its detector as Ultralytics ran it by
 * default (conf 0.25, NMS IoU 0.7, every class), and no homography, zones or rules (it had none).
 */
function droneCamera(scene: SceneService): Record<string, unknown> {
  return { ...(scene.drone.detector && { model: scene.drone.detector }), conf: 0.25, iou: 0.7 };
}

/** Submits one of the original's requests as a native `analyze` job, its ids kept with it. */
async function submit({ service, scene }: DroneDeps, body: DroneBody, owner: string | undefined): Promise<JobRecord> {
  const bytes = decodeBase64Image(body.image_base64);
  const ref = { request_id: body.request_id, image_id: body.image_id, image_sha256: createHash('sha256').update(bytes).digest('hex') };
  return service.submit({ task: 'analyze', image: { bytes }, params: { camera: droneCamera(scene), ref }, owner });
}

function failed(error: ErrorBody) {
  return { response_id: randomUUID(), ok: false, result: null, error_code: droneErrorCode(error), error_message: error.message };
}

/**
 * The original's synchronous analyze: always 200; a failure is `ok: false` with `INTERNAL_ERROR:
 * <name>` (it caught every exception of its pipeline), the reason in `error_message`.
 */
async function analyzeNow(deps: DroneDeps, body: DroneBody, request: FastifyRequest, reply: FastifyReply) {
  const owner = ownerOf(request);
  try {
    const job = await submit(deps, body, owner);
    const done = await deps.service.awaitJob(job.id, owner, abortOnDisconnect(reply));
    if (done.status === 'failed') return failed(done.error ?? errors.internal().toJSON());
    return { response_id: randomUUID(), ok: true, result: droneResult(done.result as NativeAnalysis), error_code: null, error_message: null };
  } catch (error) {
    if (error instanceof ArgusError) {
      if (error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
      return failed(error.toJSON());
    }
    request.log.error({ err: error }, 'drone analyze failed');
    return failed(errors.internal().toJSON());
  }
}

/** The answer's schema as Fastify's serializer compiler takes it; one object, so it is compiled once and cached. */
const ANSWER_SCHEMA: Record<string, unknown> = { ...DroneAnalyzeResponse };

/**
 * A `preValidation` hook for the native `POST /v1/analyze`: a request in the original's body is
 * checked as FastAPI checked it, answered in the original's shape, and its errors are written in
 * FastAPI's dialect; any other request goes on to the native route untouched.
 */
export function droneAnalyzeHook(deps: DroneDeps): preValidationAsyncHookHandler {
  return async (request, reply) => {
    if (!isDroneRequest(request)) return;
    request.errorDialect = 'fastapi';
    const answer = await analyzeNow(deps, checkDroneBody(request.body), request, reply);
    // The route's own response schema is the native result's; this answer has its own.
    // A custom serializer leaves the content type to the caller.
    return reply.type('application/json; charset=utf-8').serializer(reply.compileSerializationSchema(ANSWER_SCHEMA, '200')).send(answer);
  };
}

/** A job of this surface, or undefined where the original saw none (unknown, another key's, another task's). */
async function droneJob(service: InferenceService, id: string, request: FastifyRequest): Promise<JobRecord | undefined> {
  const job = await service.getJob(id, ownerOf(request)).catch((error: unknown) => {
    if (error instanceof ArgusError && error.code === 'job_not_found') return undefined;
    throw error;
  });
  return job && isDroneJob(job) ? job : undefined;
}

/** `POST /v1/analyze_async`, `GET /v1/result_async/{task_id}`, `GET /v1/result/{analysis_id}`, in FastAPI's error dialect. */
export const droneAnalysisRoutes: FastifyPluginAsync<DroneDeps> = async (app, deps) => {
  const { service } = deps;
  app.addHook('onRoute', speaksDialect('fastapi'));

  app.post('/v1/analyze_async', {
    schema: {
      tags: ['compat'],
      summary: 'Queue a frame for analysis (original drone/CCTV service)',
      description: 'Poll GET /v1/result_async/{task_id}. `queue` is analyze.emergency when image_id contains "emergency"; Argus echoes it and runs jobs in arrival order.',
      body: DroneAnalyzeRequest,
      response: { 200: DroneAsyncResponse, ...errorResponses },
    },
    // pydantic's checks (no coercion, every problem listed) before the server's own.
    preValidation: async (request) => void checkDroneBody(request.body),
  }, async (request) => {
    const body = request.body as DroneBody;
    const job = await submit(deps, body, ownerOf(request));
    const queue = body.image_id.includes('emergency') ? ('analyze.emergency' as const) : ('analyze.default' as const);
    return { response_id: randomUUID(), ok: true, task_id: job.id, queue, error_code: null, error_message: null };
  });

  app.get('/v1/result_async/:task_id', {
    schema: {
      tags: ['compat'],
      summary: 'The result of a queued analysis (original drone/CCTV service)',
      description: 'Pending (or unknown, as Celery answered): ok with a null result. Failed: ok false, error_code INTERNAL_ERROR. Done: the analysis.',
      params: Type.Object({ task_id: Type.String({ maxLength: 100 }) }),
      response: { 200: DroneAnalyzeResponse, ...errorResponses },
    },
  }, async (request) => {
    const job = await droneJob(service, (request.params as { task_id: string }).task_id, request);
    if (job?.status === 'failed') return { response_id: randomUUID(), ok: false, result: null, error_code: 'INTERNAL_ERROR', error_message: job.error?.message ?? null };
    if (job?.status !== 'succeeded') return { response_id: randomUUID(), ok: true, result: null, error_code: null, error_message: null };
    return { response_id: randomUUID(), ok: true, result: droneResult(job.result as NativeAnalysis), error_code: null, error_message: null };
  });

  app.get('/v1/result/:analysis_id', {
    schema: {
      tags: ['compat'],
      summary: 'A finished analysis by its result_id (original drone/CCTV service)',
      description: 'Answers 200 {"ok": false, "error_code": "NOT_FOUND"} for an unknown id, or an analysis not finished or failed, as the original did.',
      params: Type.Object({ analysis_id: Type.String({ maxLength: 100 }) }),
      response: { 200: DroneStoredResult, ...errorResponses },
    },
  }, async (request) => {
    const job = await droneJob(service, (request.params as { analysis_id: string }).analysis_id, request);
    if (job?.status !== 'succeeded') return { ok: false as const, error_code: 'NOT_FOUND' as const };
    return { ok: true as const, data: storedResult(job) };
  });
};
