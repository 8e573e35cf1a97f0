import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { InferenceService } from '../../../service/inference.js';
import { Base64Image, errorResponses, FileField } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import { AnalyzeResponse } from './scene-schemas.js';

const CameraId = Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A defined camera.' }));
const JsonBody = Type.Object({
  image: Base64Image,
  camera_id: CameraId,
  camera: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'An inline camera config (same shape as PUT /v1/cameras/{id}); not stored.' })),
});
const MultipartBody = Type.Object({
  image: FileField('The frame (JPEG, PNG, WebP, GIF or TIFF).'),
  camera_id: CameraId,
  camera: Type.Optional(Type.String({ description: 'An inline camera config as a JSON string.', contentMediaType: 'application/json' })),
});

/** Multipart sends an inline camera as a JSON string. */
export function parseJsonField(name: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw errors.invalidParams(`The ${name} field is not valid JSON.`);
  }
}

/** The camera fields of a body, as task params (absent fields left out). */
export function cameraParams(body: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(body.camera_id !== undefined && { camera_id: body.camera_id }),
    ...(body.camera !== undefined && { camera: parseJsonField('camera', body.camera) }),
  };
}

export const sceneAnalyzeRoutes: FastifyPluginAsync<{ service: InferenceService }> = async (app, { service }) => {
  app.post('/analyze', {
    schema: {
      tags: ['scene'],
      summary: 'Analyse a CCTV or drone frame: objects on the ground, zones, rule events, risk, priority, description',
      description: 'Multipart `image` + `camera_id` (or `camera` as JSON), or JSON `{image, camera_id | camera}`. Asynchronously: POST /v1/jobs with task `analyze`.',
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 200: AnalyzeResponse, ...errorResponses },
    },
  }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    return service.run({ task: 'analyze', params: cameraParams(body), image: imageFromBody(body) });
  });
};
