import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { KeyRing } from '../../../service/keys.js';
import { errorResponses } from '../../schemas.js';

const Scope = Type.Enum(['inference', 'admin'] as const);
const KeyView = Type.Object({
  id: Type.String({ description: 'Public id (k_…): the owner id of what the key creates.' }),
  name: Type.String(),
  scope: Scope,
  created_at: Type.String(),
  source: Type.Enum(['file', 'config'] as const, { description: 'file: made by argus keys / this API; config: ARGUS_API_KEYS.' }),
});

/** API keys over HTTP (admin scope, see plugins/auth.ts): the same keys file as `argus keys`. */
export const keyRoutes: FastifyPluginAsync<{ keys: KeyRing }> = async (app, { keys }) => {
  app.get('/keys', {
    config: { scope: 'admin' },
    schema: { tags: ['keys'], summary: 'List API keys (never the keys themselves)', response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses } },
  }, async () => ({ keys: keys.list() }));

  app.post('/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'],
      summary: 'Create an API key; the key is in this answer only',
      body: Type.Object({ scope: Scope, name: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: Type.String(), id: Type.String(), name: Type.String(), scope: Scope, created_at: Type.String() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const { scope, name = '' } = request.body as { scope: 'inference' | 'admin'; name?: string };
    const { key, secret } = keys.create(scope, name, request.principal?.id);
    return reply.status(201).send({ key: secret, id: key.id, name: key.name, scope: key.scope, created_at: key.created_at });
  });

  app.delete('/keys/:id', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'],
      summary: 'Revoke a key of the keys file (config keys are changed in ARGUS_API_KEYS); the last admin key is refused (409)',
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!keys.revoke(id, request.principal?.id)) throw errors.notFound(`A key with id '${id}' in the keys file`);
    return reply.status(204).send();
  });
};
