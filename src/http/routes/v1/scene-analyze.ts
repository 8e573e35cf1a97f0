import type { FastifyPluginAsync, preValidationAsyncHookHandler } from 'fastify';
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

/** The analyze route's dependencies. */
export interface SceneAnalyzeOptions {
  service: InferenceService;
  /**
   * A `preValidation` hook that answers, on this same path, requests in another surface's body
   * (the drone service's `{request_id, image_id, image_base64}`), and leaves native ones alone.
   */
  alsoServes?: preValidationAsyncHookHandler;
}

/** `POST /v1/analyze`: one frame through a camera's detector, homography, zones and rules. */
export const sceneAnalyzeRoutes: FastifyPluginAsync<SceneAnalyzeOptions> = async (app, { service, alsoServes }) => {
  app.post('/analyze', {
    schema: {
      tags: ['scene'],
      summary: 'Analyse a CCTV or drone frame: objects on the ground, zones, rule events, risk, priority, description',
      description: 'Multipart `image` + `camera_id` (or `camera` as JSON), or JSON `{image, camera_id | camera}`. Asynchronously: POST /v1/jobs with task `analyze`. '
        + 'A JSON body in the drone service\'s shape (`{request_id, image_id, image_base64, requested_at?}`) is answered as that service did: '
        + '`{response_id, ok, result: {result_id, image_id, risk_level, objects, caption} | null, error_code}` (see POST /v1/analyze_async).',
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 200: AnalyzeResponse, ...errorResponses },
    },
    ...(alsoServes && { preValidation: alsoServes }),
  }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    return service.run({ task: 'analyze', params: cameraParams(body), image: imageFromBody(body) });
  });
};
