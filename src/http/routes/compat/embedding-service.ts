/**
 * The embedding service's API, unchanged for its clients: `POST /embed` with JSON `{"url": …}`
 * (fetched under the URL rules of service/fetch-url.ts) or a multipart `image` → `{"embedding":
 * […]}` from the default embedding model; `GET /health` is shared with the other surfaces
 * (routes/health.ts). An adapter: the native embed task computes.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errorResponses, FileField } from '../../schemas.js';
import { imageFromBody, ImageUrlField } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { speaksDialect } from '../../error-dialects.js';

const EmbedResponse = Type.Object({
  embedding: Type.Array(Type.Number(), { description: 'L2-normalised (unit length), as the original service answered: compare vectors by dot product.' }),
  model: Type.String({ description: 'The model that answered.' }),
  dimensions: Type.Integer(),
});

export const embeddingServiceRoutes: FastifyPluginAsync<RouteDeps> = async (app, { service }) => {
  app.addHook('onRoute', speaksDialect('fastapi'));
  app.post('/embed', {
    schema: {
      tags: ['compat'],
      summary: 'Embed an image (original embedding service)',
      description: 'JSON `{"url": "https://…"}` (public addresses only unless allowlisted by ARGUS_URL_ALLOWLIST) or multipart field `image`. '
        + 'The default embedding model answers (ARGUS_DEFAULT_MODELS embed, else the first installed).',
      body: {
        content: {
          'application/json': { schema: Type.Object({ url: ImageUrlField }) },
          'multipart/form-data': { schema: Type.Object({ image: FileField('The image.') }) },
        },
      },
      response: { 200: EmbedResponse, ...errorResponses },
    },
  }, async (request) => {
    const result = await service.run({ task: 'embed', image: imageFromBody(request.body), params: { normalize: true } });
    const embedding = result.embedding as number[];
    return { embedding, model: result.model.alias, dimensions: embedding.length };
  });
};
