/**
 * The original detection service's API (Flask + Kafka): `POST /predict` queues an image,
 * `GET /results/:inference_id` answers 202 until the result is ready. An adapter only: it maps
 * shapes onto the native jobs and adds no logic.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { JobRecord } from '../../../jobs/types.js';
import type { InferenceService } from '../../../service/inference.js';
import type { Detection } from '../../../tasks/detect.js';
import { errorResponses, FileField } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import { ownerOf } from '../../plugins/auth.js';

const Pending = Type.Object({
  inference_id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('running')]),
  message: Type.String(),
});

const Done = Type.Object({
  inference_id: Type.String(),
  detections: Type.Array(Type.Object({
    box: Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: '[x1, y1, x2, y2] in image pixels' }),
    confidence: Type.Number(),
    label: Type.String(),
  })),
  inference_time: Type.Number({ description: 'Seconds spent computing the result.' }),
});

const Failed = Type.Object({
  inference_id: Type.String(),
  status: Type.Literal('failed'),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

function view(job: JobRecord) {
  if (job.status === 'queued' || job.status === 'running') {
    return { status: 202, body: { inference_id: job.id, status: job.status === 'queued' ? 'pending' : 'running', message: 'Result not ready yet.' } };
  }
  if (job.status === 'failed') {
    return { status: job.error?.code === 'internal_error' ? 500 : 422, body: { inference_id: job.id, status: 'failed', error: job.error ?? { code: 'failed', message: 'The job failed.' } } };
  }
  const result = job.result as { detections: Detection[]; timings: { total_ms: number; queue_ms: number } };
  return {
    status: 200,
    body: {
      inference_id: job.id,
      detections: result.detections.map((d) => ({ box: [d.box.x1, d.box.y1, d.box.x2, d.box.y2], confidence: d.confidence, label: d.label })),
      inference_time: Math.round(result.timings.total_ms - result.timings.queue_ms) / 1000,
    },
  };
}

export const detectionServiceRoutes: FastifyPluginAsync<{ service: InferenceService }> = async (app, { service }) => {
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
    const { status, body } = view(await service.getJob((request.params as { inference_id: string }).inference_id, ownerOf(request)));
    return reply.status(status).send(body);
  });
};
