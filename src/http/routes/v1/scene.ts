import type { FastifyPluginAsync, preValidationAsyncHookHandler } from 'fastify';
import type { SceneService } from '../../../features/scene/service.js';
import type { RouteDeps } from '../deps.js';
import { sceneAnalyzeRoutes } from './scene-analyze.js';
import { sceneCameraRoutes } from './scene-cameras.js';
import { sceneStreamRoutes } from './scene-streams.js';
import { sceneVideoRoutes } from './scene-video.js';

/** Scene analysis: cameras, analyze, video and live streams. */
export const sceneRoutes: FastifyPluginAsync<RouteDeps & { scene: SceneService; analyzeAlsoServes?: preValidationAsyncHookHandler }> = async (app, deps) => {
  const { scene } = deps;
  // Live streams and open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => scene.close());
  await app.register(sceneCameraRoutes, { scene });
  await app.register(sceneAnalyzeRoutes, { service: deps.service, alsoServes: deps.analyzeAlsoServes });
  await app.register(sceneVideoRoutes, { scene, service: deps.service });
  await app.register(sceneStreamRoutes, { scene });
};
