import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { documentFileFields } from '../uploads.js';

export interface OpenApiOptions {
  version: string;
}

/**
 * The OpenAPI 3 document is generated from the same route schemas that validate requests, so it
 * cannot drift from what the server accepts. Served at /openapi.json, browsable at /docs.
 */
export const openApiPlugin = fp(async (app: FastifyInstance, options: OpenApiOptions) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Argus',
        version: options.version,
        description: 'Self-hosted computer-vision inference server. Native errors are {"error": {"code", "message"}}; the surfaces of the replaced services answer in their own dialect (FastAPI {"detail"}, Flask {"error"}, OpenAI {"error": {message, type, param, code}}), and every error carries its Argus code in the x-argus-error-code header.',
      },
      tags: [
        { name: 'detect', description: 'Object detection' },
        { name: 'jobs', description: 'Asynchronous jobs' },
        { name: 'compat', description: 'Compatibility with the services Argus replaces' },
        { name: 'models', description: 'Model catalogue and loading' },
        { name: 'system', description: 'Health, status and eviction' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}` },
    transform: ({ schema, url }) => ({ schema: documentFileFields(schema) as typeof schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}, { name: 'argus-openapi' });
