import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { CameraConfigSchema } from '../../../features/scene/schema.js';
import type { SceneService } from '../../../features/scene/service.js';
import { errorResponses } from '../../schemas.js';
import { CameraIdParams, CameraView } from './scene-schemas.js';

/**
 * The body is checked by the service, not by Fastify: the service names the exact path of every
 * problem (`/zones/2/polygon: needs at least 3 points`) and refuses unknown keys, where Fastify's
 * validator would drop them silently. The schema is still declared, for the OpenAPI document.
 */
const passThrough = () => (data: unknown) => ({ value: data });

export const sceneCameraRoutes: FastifyPluginAsync<{ scene: SceneService }> = async (app, { scene }) => {
  app.get('/cameras', {
    schema: { tags: ['scene'], summary: 'Every camera (pipeline config file and API)', response: { 200: Type.Object({ cameras: Type.Array(CameraView) }), ...errorResponses } },
  }, async () => ({ cameras: await scene.cameras.list() }));

  app.get('/cameras/:camera_id', {
    schema: { tags: ['scene'], summary: 'A camera: its config and what Argus computed from it', params: CameraIdParams, response: { 200: CameraView, ...errorResponses } },
  }, async (request) => scene.cameras.view((request.params as { camera_id: string }).camera_id));

  app.put('/cameras/:camera_id', {
    validatorCompiler: passThrough,
    schema: {
      tags: ['scene'],
      summary: 'Create or replace a camera',
      description: 'Detector, homography (3×3 matrix or ≥ 4 image↔ground point pairs), zones and rules. Invalid configs get 400 `invalid_camera_config` listing each problem with its JSON pointer.',
      params: CameraIdParams,
      body: CameraConfigSchema,
      response: { 200: CameraView, 201: CameraView, ...errorResponses },
    },
  }, async (request, reply) => {
    const { camera, created } = await scene.cameras.put((request.params as { camera_id: string }).camera_id, request.body);
    if (created) reply.header('location', `/v1/cameras/${encodeURIComponent(camera.id)}`);
    return reply.status(created ? 201 : 200).send(camera);
  });

  app.delete('/cameras/:camera_id', {
    schema: { tags: ['scene'], summary: 'Delete a camera defined through the API', params: CameraIdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await scene.cameras.delete((request.params as { camera_id: string }).camera_id);
    return reply.status(204).send();
  });
};
