import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { SystemService } from '../../../service/system.js';
import { errorResponses } from '../../schemas.js';

export const ModelEntry = Type.Object({
  id: Type.String({ description: 'The alias clients pass as `model`.' }),
  object: Type.Literal('model'),
  created: Type.Integer({ description: 'Unix seconds (the model file’s modification time when installed).' }),
  owned_by: Type.String({ description: 'argus (built-in manifest) or user (a manifest in the models directory).' }),
  task: Type.String(),
  runtime: Type.String(),
  licence: Type.String({ description: 'SPDX id of the weights’ licence.' }),
  licence_kind: Type.Enum(['permissive', 'copyleft', 'non-commercial', 'unknown'] as const),
  licence_warning: Type.Optional(Type.String({ description: 'The obligation or restriction that comes with serving it, if any.' })),
  description: Type.String(),
  alias_of: Type.Optional(Type.String({ description: 'For a name that stands for a task\'s default model (image-gen, schnell, dev): the model it answers with now.' })),
  available: Type.Boolean({ description: 'Its files are installed.' }),
  loaded: Type.Boolean({ description: 'A worker has it in memory now.' }),
  state: Type.String({ description: 'unloaded | loading | ready | unavailable' }),
  memory_mb: Type.Number({ description: 'Measured RSS of its workers when loaded, else the manifest’s estimate.' }),
  memory_measured: Type.Boolean(),
  device: Type.String({ description: 'Execution provider its workers got (cpu, cuda, wasm), or the configured one.' }),
  workers: Type.Integer(),
  pinned: Type.Boolean(),
  reason: Type.Optional(Type.String()),
});

const LoadResponse = Type.Object({
  alias: Type.String(),
  state: Type.String(),
  workers: Type.Integer(),
  rss_mb: Type.Number(),
  provider: Type.Optional(Type.String()),
  sha256: Type.Optional(Type.String()),
  load_ms: Type.Integer({ description: 'Time this call waited, ms (0-ish when it was already loaded).' }),
});

const AliasParams = Type.Object({ alias: Type.String({ maxLength: 100 }) });

export const modelRoutes: FastifyPluginAsync<{ system: SystemService }> = async (app, { system }) => {
  app.get('/models', {
    schema: {
      tags: ['models'],
      summary: 'Models Argus knows (OpenAI list shape, plus task, licence, memory and state)',
      response: { 200: Type.Object({ object: Type.Literal('list'), data: Type.Array(ModelEntry) }) },
    },
  }, async () => system.models());

  app.post('/models/:alias/load', {
    schema: {
      tags: ['models'],
      summary: 'Load a model now instead of on first use',
      params: AliasParams,
      response: { 200: LoadResponse, ...errorResponses },
    },
  }, async (request) => system.load((request.params as { alias: string }).alias));
};
