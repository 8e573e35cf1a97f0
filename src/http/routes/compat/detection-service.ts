/**
 * The original detection service's API (Flask + Kafka): `POST /predict` queues an image (202),
 * `GET /results/:inference_id` answers 202 until the result is ready, then 200; errors are Flask's
 * `{"error": "…"}`. An adapter only: it maps
 * shapes onto the native jobs and adds no logic.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ArgusError } from '../../../errors.js';
import type { JobRecord } from '../../../jobs/types.js';
import type { InferenceService } from '../../../service/inference.js';
import type { Detection } from '../../../tasks/params/detect.js';
import { errorResponses, FileField } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import { ownerOf } from '../../plugins/auth.js';
import { speaksDialect } from '../../error-dialects.js';

const NOT_READY = 'Result not available yet. Try again later.';

const Pending = Type.Object({
  message: Type.String({ description: `"${NOT_READY}", as the original said.` }),
  inference_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('running')]),
});

const Done = Type.Object({
  inference_id: Type.String(),
  detections: Type.Array(Type.Object({
    box: Type.Array(Type.Integer(), { minItems: 4, maxItems: 4, description: '[x1, y1, x2, y2] in image pixels, truncated to integers as the original did.' }),
    confidence: Type.Number(),
    label: Type.String({ description: 'The class name (the original sent no class; an addition).' }),
  })),
  inference_time: Type.Number({ description: 'Milliseconds the model took, as the original reported Ultralytics\' speed["inference"].' }),
});

const Failed = Type.Object({
  inference_id: Type.String(),
  status: Type.Literal('failed'),
  error: Type.String({ description: 'Why the job failed.' }),
  error_code: Type.String(),
});

function view(job: JobRecord) {
  if (job.status === 'queued' || job.status === 'running') {
    return { status: 202, body: { message: NOT_READY, inference_id: job.id, status: job.status === 'queued' ? 'pending' : 'running' } };
  }
  if (job.status === 'failed') {
    const error = job.error ?? { code: 'failed', message: 'The job failed.' };
    return { status: error.code === 'internal_error' ? 500 : 422, body: { inference_id: job.id, status: 'failed', error: error.message, error_code: error.code } };
  }
  const result = job.result as { detections: Detection[]; timings: { inference_ms: number } };
  return {
    status: 200,
    body: {
      inference_id: job.id,
      detections: result.detections.map((d) => ({ box: [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map(Math.trunc), confidence: d.confidence, label: d.label })),
      inference_time: result.timings.inference_ms,
    },
  };
}

export const detectionServiceRoutes: FastifyPluginAsync<{ service: InferenceService }> = async (app, { service }) => {
  app.addHook('onRoute', speaksDialect('flask'));
  app.post('/predict', {
    schema: {
      tags: ['compat'],
      summary: 'Queue an image for detection (original detection service)',
      body: { content: { 'multipart/form-data': { schema: Type.Object({ image: FileField('The image.') }) } } },
      response: { 202: Type.Object({ inference_id: Type.String(), message: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const job = await service.submit({ task: 'detect', image: imageFromBody(request.body), owner: ownerOf(request) });
    return reply.status(202).send({ inference_id: job.id, message: 'Inference request sent.' });
  });

  app.get('/results/:inference_id', {
    schema: {
      tags: ['compat'],
      summary: 'The result of a queued detection (original detection service)',
      params: Type.Object({ inference_id: Type.String({ maxLength: 100 }) }),
      response: { 200: Done, 202: Pending, 422: Failed, 500: Failed, ...errorResponses },
    },
  }, async (request, reply) => {
    const id = (request.params as { inference_id: string }).inference_id;
    // The original answered an id it did not know exactly as one not finished yet (202): its
    // clients poll on 202. Another key's job is answered the same way, so it reveals nothing.
    const job = await service.getJob(id, ownerOf(request)).catch((error: unknown) => {
      if (error instanceof ArgusError && error.code === 'job_not_found') return undefined;
      throw error;
    });
    const { status, body } = job ? view(job) : { status: 202, body: { message: NOT_READY, inference_id: id, status: 'pending' as const } };
    return reply.status(status).send(body);
  });
};
