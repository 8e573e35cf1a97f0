import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../../errors.js';
import type { ImageSource } from '../../../service/inference.js';
import { errorResponses } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { FaceCompare, Faces, Ocr, Pose, Segment } from './perception-schemas.js';

type Body = Record<string, unknown>;

const content = (schema: { json: unknown; multipart: unknown }) => ({
  content: { 'application/json': { schema: schema.json }, 'multipart/form-data': { schema: schema.multipart } },
});

/** Splits an image task's body into the service's shape: image, model and the task's params. */
function imageRequest(task: string, raw: unknown) {
  const body = (raw ?? {}) as Body;
  const { image: _image, url: _url, model, ...params } = body;
  return { task, model: model as string | undefined, params, image: imageFromBody(body) };
}

/** Multipart sends the embeddings as one JSON string; JSON bodies send them as arrays already. */
function parseEmbeddings(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw errors.invalidParams('The embeddings field is not valid JSON (send an array of arrays of numbers).');
  }
}

/** OCR, faces, face comparison, pose and segmentation: /v1/ocr, /v1/faces, /v1/faces/compare, /v1/pose, /v1/segment. */
export const perceptionRoutes: FastifyPluginAsync<RouteDeps> = async (app, { service }) => {
  app.post('/ocr', {
    schema: {
      tags: ['ocr'],
      summary: 'Read the text in an image',
      description: 'PP-OCRv4 (Chinese and English): the lines of text with boxes, quadrilaterals and confidences, and the whole text in reading order.',
      body: content(Ocr),
      response: { 200: Ocr.response, ...errorResponses },
    },
  }, async (request) => service.run(imageRequest('ocr', request.body)));

  app.post('/faces', {
    schema: {
      tags: ['faces'],
      summary: 'Find faces',
      description: 'Boxes, scores and five landmarks per face; with `attributes: true` also age, gender, emotion and an embedding (about 0.2 s more per face).',
      body: content(Faces),
      response: { 200: Faces.response, ...errorResponses },
    },
  }, async (request) => service.run(imageRequest('faces', request.body)));

  app.post('/faces/compare', {
    schema: {
      tags: ['faces'],
      summary: 'Compare two faces',
      description: 'Two faces, each as an image (`image_a`, `image_b`; its largest face is taken) or as an embedding from an earlier /v1/faces answer (`embeddings`): their similarity, and whether they are the same person at `threshold`.',
      body: content(FaceCompare),
      response: { 200: FaceCompare.response, ...errorResponses },
    },
    // Two images in one multipart request; every other route takes one file.
    config: { multipartOptions: { limits: { files: 2 } } },
  }, async (request) => {
    const body = (request.body ?? {}) as Body;
    const { image_a: _a, image_b: _b, model, embeddings, ...params } = body;
    const images: ImageSource[] = ['image_a', 'image_b'].filter((field) => body[field] !== undefined).map((field) => imageFromBody(body, field));
    const kept = parseEmbeddings(embeddings);
    const count = images.length + (Array.isArray(kept) ? kept.length : 0);
    if (count !== 2) {
      throw errors.badRequest(`Send two faces: image_a and image_b, or one image and one embedding, or two embeddings (got ${count}).`);
    }
    return service.run({ task: 'faces-compare', model: model as string | undefined, images, params: { ...params, ...(kept !== undefined && { embeddings: kept }) } });
  });

  app.post('/pose', {
    schema: {
      tags: ['pose'],
      summary: 'Estimate body poses',
      description: 'The 17 COCO keypoints of each person the person detector finds (MoveNet Lightning per person).',
      body: content(Pose),
      response: { 200: Pose.response, ...errorResponses },
    },
  }, async (request) => service.run(imageRequest('pose', request.body)));

  app.post('/segment', {
    schema: {
      tags: ['segment'],
      summary: 'Segment people',
      description: 'A mask of every person in the image (MediaPipe Selfie by default) as a PNG at the image\'s own size, with its bounding box and the share of the image it covers.',
      body: content(Segment),
      response: { 200: Segment.response, ...errorResponses },
    },
  }, async (request) => service.run(imageRequest('segment', request.body)));
};
