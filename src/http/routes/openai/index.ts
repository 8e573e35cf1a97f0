import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { chatRoutes } from './chat.js';
import { imageRoutes } from './images.js';
import { visionRoutes } from './vision.js';
import { speaksDialect } from '../../error-dialects.js';

/**
 * The OpenAI-compatible vision API. An OpenAI client library works against Argus by changing only
 * its base URL. (`GET /v1/models` is shared with the native API, in routes/v1/models.ts.)
 */
export const openAiRoutes: FastifyPluginAsync<RouteDeps> = async (app, options) => {
  app.addHook('onRoute', speaksDialect('openai'));
  // Only the dependencies go on: passing `prefix` again would mount the routes at /v1/v1/….
  const deps: RouteDeps = { config: options.config, service: options.service, system: options.system };
  await app.register(chatRoutes, deps);
  await app.register(imageRoutes, deps);
  await app.register(visionRoutes, deps);
};
