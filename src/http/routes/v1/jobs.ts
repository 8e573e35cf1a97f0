import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { JobRecord } from '../../../jobs/types.js';
import type { InferenceService } from '../../../service/inference.js';
import { Base64Image, errorResponses, FileField } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import { ownerOf } from '../../plugins/auth.js';

const JobStatus = Type.Enum(['queued', 'running', 'succeeded', 'failed'] as const);

export const JobResponse = Type.Object({
  id: Type.String(),
  task: Type.String(),
  model: Type.String(),
  status: JobStatus,
  attempts: Type.Integer({ description: 'Times a runner has started it.' }),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Type.Optional(Type.String({ format: 'date-time' })),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
  result: Type.Optional(Type.Unknown({ description: "The task's result, as its synchronous route returns it." })),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
  progress: Type.Optional(Type.Unknown({ description: 'How far the job has come, when its task reports it (e.g. {"done": 3, "total": 40}).' })),
});

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function jobView(job: JobRecord) {
  return {
    id: job.id,
    task: job.task,
    model: job.model,
    status: job.status,
    attempts: job.attempts,
    created_at: iso(job.created_at)!,
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    result: job.result,
    error: job.error,
    progress: job.progress,
  };
}

const Params = Type.Optional(Type.Object({}, { additionalProperties: true, description: "The task's parameters, e.g. {\"conf\": 0.5}." }));
const Text = Type.Optional(Type.String({ minLength: 1, maxLength: 100_000, description: 'Text input, for tasks that take one (CLIP text embeddings, prompts).' }));
const JsonBody = Type.Object({ task: Type.String({ description: 'detect, …' }), image: Type.Optional(Base64Image), text: Text, model: Type.Optional(Type.String()), params: Params });
const MultipartBody = Type.Object({
  task: Type.String(),
  image: Type.Optional(FileField('The image.')),
  text: Text,
  model: Type.Optional(Type.String()),
  params: Type.Optional(Type.String({ description: 'The parameters as a JSON object.', contentMediaType: 'application/json' })),
});

/** Multipart sends params as a JSON string; JSON bodies send an object. */
function parseParams(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw errors.invalidParams('The params field is not valid JSON.');
  }
}

export const jobRoutes: FastifyPluginAsync<{ service: InferenceService }> = async (app, { service }) => {
  app.post('/jobs', {
    schema: {
      tags: ['jobs'],
      summary: 'Submit an asynchronous job',
      description: 'The job is stored durably before the 202 is sent; poll GET /v1/jobs/{id} for its result.',
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 202: JobResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    // A request without a content type skips body validation; treat it as empty.
    const body = (request.body ?? {}) as Record<string, unknown>;
    const params = parseParams(body.params);
    if (typeof body.task !== 'string') throw errors.invalidParams('The task field is required, e.g. "detect".');
    const image = body.image === undefined && body.url === undefined ? undefined : imageFromBody(body);
    const job = await service.submit({ task: body.task, model: body.model as string | undefined, params, image, text: body.text as string | undefined, owner: ownerOf(request) });
    return reply.status(202).header('location', `/v1/jobs/${job.id}`).send(jobView(job));
  });

  app.get('/jobs/:id', {
    schema: {
      tags: ['jobs'],
      summary: 'A job, with its result once it has finished',
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      response: { 200: JobResponse, ...errorResponses },
    },
  }, async (request) => jobView(await service.getJob((request.params as { id: string }).id, ownerOf(request))));
};
