/**
 * The DeepStack vision API, as CodeProject.AI Server kept it: what Home Assistant's DeepStack
 * integrations, Frigate's `deepstack` detector, Blue Iris and Agent DVR send (docs/deepstack.md
 * quotes the sources). Multipart (or url-encoded) forms in, `{"success": …}` out, errors in
 * DeepStack's dialect, and the API key also taken from the form field `api_key`. An adapter: it
 * maps shapes onto the native tasks (detect, faces, faces-recognize, faces-compare) and the face
 * gallery, and adds no logic of its own.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { FaceGalleryService } from '../../../features/faces/gallery.js';
import type { Detection } from '../../../tasks/params/detect.js';
import { speaksDialect } from '../../error-dialects.js';
import { errorResponses } from '../../schemas.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { deepstackFaceRoutes } from './deepstack-faces.js';
import { byConfidence, corners, DETECTION_MIN_CONFIDENCE, DetectionResponse, ImageForm, moduleFields } from './deepstack-shapes.js';

type ImageBody = { min_confidence?: number };

const CustomList = Type.Object({
  success: Type.Literal(true),
  models: Type.Array(Type.String(), { description: 'The installed detection models, each served at /v1/vision/custom/{model}.' }),
  moduleId: Type.String(),
  moduleName: Type.String(),
  command: Type.String(),
});

export const deepstackRoutes: FastifyPluginAsync<RouteDeps & { gallery: FaceGalleryService }> = async (app, deps) => {
  const { service, system } = deps;
  app.addHook('onRoute', speaksDialect('deepstack'));
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, keyField: 'api_key' };
    route.schema = { tags: ['deepstack'], ...route.schema };
  });
  // DeepStack's documentation sends list and delete as plain forms (Python requests' `data=`).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const detect = async (model: string | undefined, body: unknown) => {
    const { min_confidence: conf = DETECTION_MIN_CONFIDENCE } = (body ?? {}) as ImageBody;
    const result = await service.run({ task: 'detect', model, image: imageFromBody(body), params: { conf } });
    const predictions = byConfidence((result.detections as Detection[]).map((d) => ({ label: d.label, confidence: d.confidence, ...corners(d.box) })));
    return { success: true, ...moduleFields(result, model ? 'custom' : 'detect', predictions.map((p) => p.label)), predictions };
  };

  app.post('/v1/vision/detection', {
    schema: {
      summary: 'Detect objects (DeepStack)',
      description: 'The default detector; boxes as integer corners of the original image, highest confidence first.',
      body: ImageForm('Minimum confidence of a detection.', DETECTION_MIN_CONFIDENCE),
      response: { 200: DetectionResponse, ...errorResponses },
    },
  }, async (request) => detect(undefined, request.body));

  app.post('/v1/vision/custom/list', {
    // No body schema: Blue Iris posts nothing, other clients an empty form.
    schema: { summary: 'The installed detection models (CodeProject.AI)', response: { 200: CustomList, ...errorResponses } },
  }, async () => {
    const { data } = await system.models();
    const models = data.filter((m) => m.task === 'detect' && m.available && m.alias_of === undefined).map((m) => m.id);
    return { success: true, models, moduleId: 'argus', moduleName: 'Argus', command: 'list-custom' };
  });

  app.post('/v1/vision/custom/:model', {
    schema: {
      summary: 'Detect objects with a named model (DeepStack custom models)',
      description: 'Any installed detection model by its alias (see /v1/vision/custom/list).',
      params: Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }) }),
      body: ImageForm('Minimum confidence of a detection.', DETECTION_MIN_CONFIDENCE),
      response: { 200: DetectionResponse, ...errorResponses },
    },
  }, async (request) => {
    const { model } = request.params as { model: string };
    return detect(model, request.body);
  });

  app.post('/v1/vision/scene', {
    schema: {
      summary: 'Recognize the scene (DeepStack): not available',
      description: 'No scene-classification model (Places365) ships with or installs into Argus, so this answers 403 `{"success": false}` as DeepStack did for an endpoint it had not started.',
      response: { ...errorResponses },
    },
  }, async () => {
    throw errors.sceneNotInstalled();
  });

  // Blue Iris asks CodeProject.AI whether an update is out (Blue Candle, a server written for
  // Blue Iris, answers it for that reason). Public: it says nothing about this server.
  app.get('/v1/status/updateavailable', {
    schema: {
      summary: 'Whether a CodeProject.AI update is available: never, for Argus (Blue Iris asks)',
      response: { 200: Type.Object({ success: Type.Literal(true), message: Type.String(), updateAvailable: Type.Literal(false) }) },
    },
    config: { scope: 'public' },
  }, async () => ({ success: true, message: 'Argus is not CodeProject.AI Server; there is nothing to update here.', updateAvailable: false }));

  await app.register(deepstackFaceRoutes, deps);
};
