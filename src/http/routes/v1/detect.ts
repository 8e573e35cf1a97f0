import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { InferenceService } from '../../../service/inference.js';
import { DetectParams } from '../../../tasks/params/detect.js';
import { Base64Image, Box, errorResponses, FileField, ModelRef, Timings } from '../../schemas.js';
import { imageFromBody, splitList } from '../../uploads.js';

const ModelField = Type.Optional(Type.String({ description: 'Model alias; the default detector when absent.' }));

const JsonBody = Type.Object({ image: Base64Image, model: ModelField, ...DetectParams.properties });
const MultipartBody = Type.Object({
  image: FileField('The image (JPEG, PNG, WebP, GIF or TIFF).'),
  model: ModelField,
  ...DetectParams.properties,
  classes: Type.Optional(Type.Array(Type.String(), { description: 'Class names or ids; repeat the field or separate with commas.' })),
});

export const Detection = Type.Object({
  label: Type.String(),
  class_id: Type.Integer(),
  confidence: Type.Number(),
  box: Box,
});

export const DetectResponse = Type.Object({
  id: Type.String(),
  model: ModelRef,
  width: Type.Integer({ description: 'Image width in pixels (after EXIF orientation).' }),
  height: Type.Integer(),
  detections: Type.Array(Detection),
  timings: Timings,
});

/** Splits a detect request body into the service's shape: image, model and task params. */
export function detectRequest(body: Record<string, unknown> = {}) {
  const { image: _image, url: _url, model, ...params } = body;
  if (params.classes !== undefined) params.classes = splitList(params.classes);
  return { task: 'detect', model: model as string | undefined, params, image: imageFromBody(body) };
}

export const detectRoutes: FastifyPluginAsync<{ service: InferenceService }> = async (app, { service }) => {
  app.post('/detect', {
    schema: {
      tags: ['detect'],
      summary: 'Detect objects in an image',
      description: 'Multipart field `image`, or JSON `{"image": "<base64 or data URL>"}`. Boxes are in original-image pixels.',
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 200: DetectResponse, ...errorResponses },
    },
  }, async (request) => service.run(detectRequest(request.body as Record<string, unknown> | undefined)));
};
