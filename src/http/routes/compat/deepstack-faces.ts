/**
 * DeepStack's face API (/v1/vision/face…) onto the native faces task, the face gallery and
 * face comparison. Registered by deepstack.ts, which sets the dialect, the form key and parsers.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { FACE_MATCH_THRESHOLD, MAX_REGISTER_IMAGES, type FaceGalleryService, type RecognizedFace } from '../../../features/faces/gallery.js';
import type { Face } from '../../../tasks/params/faces.js';
import { ownerOf } from '../../plugins/auth.js';
import { errorResponses } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { byConfidence, corners, FACE_MIN_CONFIDENCE, FaceDetectionResponse, Form, formFiles, ImageForm, MessageResponse, moduleFields, RecognitionResponse } from './deepstack-shapes.js';

type Fields = { min_confidence?: number; userid?: string };

const UserId = Type.Optional(Type.String({ maxLength: 100, description: "The person's name." }));

export const deepstackFaceRoutes: FastifyPluginAsync<RouteDeps & { gallery: FaceGalleryService }> = async (app, { service, gallery }) => {
  // DeepStack's route is /v1/vision/face/ (a gin group's "/"); its clients post to /v1/vision/face.
  for (const url of ['/v1/vision/face', '/v1/vision/face/']) {
    app.post(url, {
      schema: {
        summary: 'Detect faces (DeepStack)',
        body: ImageForm('Minimum face score.', FACE_MIN_CONFIDENCE),
        response: { 200: FaceDetectionResponse, ...errorResponses },
        ...(url.endsWith('/') && { hide: true }),
      },
    }, async (request) => {
      const { min_confidence: conf = FACE_MIN_CONFIDENCE } = request.body as Fields;
      const result = await service.run({ task: 'faces', image: imageFromBody(request.body), params: { conf } });
      const predictions = byConfidence((result.faces as Face[]).map((f) => ({ confidence: f.confidence, ...corners(f.box) })));
      return { success: true, ...moduleFields(result, 'detect', predictions.map(() => 'face')), predictions };
    });
  }

  app.post('/v1/vision/face/recognize', {
    schema: {
      summary: 'Recognize the registered people in an image (DeepStack)',
      description: `Every face with the gallery person it matches (\`userid\`, else "unknown" with confidence 0). \`min_confidence\` is the similarity needed; values under Argus's measured threshold (${FACE_MATCH_THRESHOLD}) are raised to it, since DeepStack's scale came from another model (see docs/deepstack.md).`,
      body: ImageForm('Similarity needed to name a face.', FACE_MATCH_THRESHOLD),
      response: { 200: RecognitionResponse, ...errorResponses },
    },
  }, async (request) => {
    const { min_confidence: asked } = request.body as Fields;
    const threshold = Math.max(asked ?? FACE_MATCH_THRESHOLD, FACE_MATCH_THRESHOLD);
    const result = await service.run({ task: 'faces-recognize', image: imageFromBody(request.body), params: { threshold }, owner: ownerOf(request) });
    const predictions = byConfidence((result.faces as RecognizedFace[]).map((f) => ({
      userid: f.name ?? 'unknown', confidence: f.name ? f.similarity! : 0, ...corners(f.box),
    })));
    return { success: true, ...moduleFields(result, 'recognize', predictions.map((p) => p.userid)), predictions };
  });

  app.post('/v1/vision/face/register', {
    schema: {
      summary: 'Register a person (DeepStack)',
      description: `\`userid\` and 1–${MAX_REGISTER_IMAGES} images under any field names (image1, image2, …): the largest face of each is added to the person's faces.`,
      body: Form({ userid: UserId }),
      response: { 200: MessageResponse, ...errorResponses },
    },
    config: { multipartOptions: { limits: { files: MAX_REGISTER_IMAGES } } },
  }, async (request) => {
    const files = formFiles(request.body);
    if (files.length === 0) throw errors.missingImage('send image files (image1, image2, …).');
    const { userid } = request.body as Fields;
    if (!userid) throw errors.badRequest('userid not specified');
    const result = await gallery.register({ name: userid, images: files.map((f) => ({ bytes: f.bytes, filename: f.filename })), owner: ownerOf(request) });
    // DeepStack's own words: "face added" for a new userid, "face updated" for a known one.
    return { success: true, message: result.existed ? 'face updated' : 'face added' };
  });

  app.post('/v1/vision/face/list', {
    schema: { summary: 'The registered people (DeepStack)', response: { 200: Type.Object({ success: Type.Literal(true), faces: Type.Array(Type.String()) }), ...errorResponses } },
  }, async (request) => {
    const people = await gallery.people(ownerOf(request));
    return { success: true, faces: [...new Set(people.map((p) => p.name))] };
  });

  app.post('/v1/vision/face/delete', {
    schema: { summary: 'Delete a registered person (DeepStack)', body: Form({ userid: UserId }), response: { 200: Type.Object({ success: Type.Literal(true) }), ...errorResponses } },
  }, async (request) => {
    const { userid } = (request.body ?? {}) as Fields;
    if (!userid) throw errors.badRequest('userid not specified');
    // As DeepStack: deleting someone who is not there succeeds.
    await gallery.deletePerson(userid, ownerOf(request));
    return { success: true };
  });

  app.post('/v1/vision/face/match', {
    schema: {
      summary: 'Compare the faces of two images (DeepStack)',
      body: Form(),
      response: { 200: Type.Object({ success: Type.Literal(true), similarity: Type.Number() }), ...errorResponses },
    },
    // One more than allowed, so that three images get DeepStack's "only two images allowed", not a multipart limit.
    config: { multipartOptions: { limits: { files: 3 } } },
  }, async (request) => {
    const files = formFiles(request.body);
    if (files.length === 0) throw errors.missingImage('send image files (image1, image2, …).');
    if (files.length === 1) throw errors.badRequest('expected two image files, only one found');
    if (files.length > 2) throw errors.badRequest('only two images allowed');
    const result = await service.run({ task: 'faces-compare', images: files.map((f) => ({ bytes: f.bytes, filename: f.filename })), params: {} });
    return { success: true, similarity: result.similarity as number };
  });
};
