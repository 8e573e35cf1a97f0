import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../schemas.js';
import { abortOnDisconnect } from '../../sse.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { EditJsonRequest, EditMultipartRequest, GenerationRequest, ImagesResponse, imagesResponse, imagesTaskRequest } from './images-shapes.js';

/** POST /v1/images/generations and /v1/images/edits: local diffusion or upstream backends. */
export const imageRoutes: FastifyPluginAsync<RouteDeps> = async (app, { service }) => {
  app.post('/images/generations', {
    schema: {
      tags: ['openai'],
      summary: 'Generate images from a prompt (OpenAI images API)',
      description:
        'OpenAI\'s request and response shapes (`response_format` b64_json only), plus Argus\'s `steps`, `seed`, `guidance` and ' +
        '`negative_prompt`. The same seed and arguments give the same PNG bytes; `usage` reports the seed used and the latency.',
      body: GenerationRequest,
      response: { 200: ImagesResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const task = imagesTaskRequest(request.body as Record<string, unknown>);
    return imagesResponse(await service.run({ ...task, signal: abortOnDisconnect(reply) }));
  });

  app.post('/images/edits', {
    schema: {
      tags: ['openai'],
      summary: 'Edit an image from a prompt (OpenAI images API, image-to-image)',
      description:
        'Multipart field `image` as OpenAI takes it, or JSON `{"image": "<base64 or data URL>"}`, with `prompt` and `strength` ' +
        '(0 returns the input, 1 regenerates it; default 0.5) and `steps` (steps run from the strength\'s noise level). `mask` is refused.',
      body: { content: { 'application/json': { schema: EditJsonRequest }, 'multipart/form-data': { schema: EditMultipartRequest } } },
      response: { 200: ImagesResponse, ...errorResponses },
    },
    // A second file is let through so that a mask upload is refused by name rather than as "too many files".
    config: { multipartOptions: { limits: { files: 2 } } },
  }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const task = imagesTaskRequest(body, imageFromBody(body));
    return imagesResponse(await service.run({ ...task, signal: abortOnDisconnect(reply) }));
  });
};
