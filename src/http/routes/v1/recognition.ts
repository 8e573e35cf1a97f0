import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { SearchService } from '../../../features/search/service.js';
import { SearchParams } from '../../../features/search/service.js';
import { ClassifyParams } from '../../../tasks/params/classify.js';
import { EmbedParams } from '../../../tasks/params/embed.js';
import { ownerOf } from '../../plugins/auth.js';
import { Base64Image, errorResponses, FileField, ModelRef, Timings } from '../../schemas.js';
import { imageFromBody, splitList } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';

const ModelField = (what: string) => Type.Optional(Type.String({ description: `Model alias; ${what} when absent.` }));
const OptionalFile = Type.Optional(FileField('The image (JPEG, PNG, WebP, GIF or TIFF).'));
const Text = Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'A text to embed (CLIP-style models).' }));
const JsonObjectField = (description: string) => Type.Optional(Type.String({ description, contentMediaType: 'application/json' }));

const Classify = {
  json: Type.Object({ image: Base64Image, model: ModelField('the default classifier'), ...ClassifyParams.properties }),
  multipart: Type.Object({
    image: FileField('The image (JPEG, PNG, WebP, GIF or TIFF).'),
    model: ModelField('the default classifier'),
    ...ClassifyParams.properties,
    labels: Type.Optional(Type.Array(Type.String(), { description: 'Zero-shot labels: repeat the field, separate with commas, or send one JSON array.' })),
  }),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    predictions: Type.Array(Type.Object({ label: Type.String(), class_id: Type.Integer(), confidence: Type.Number() })),
    timings: Timings,
  }),
};

const Embed = {
  json: Type.Object({ image: Type.Optional(Base64Image), text: Text, model: ModelField('the default embedding model'), ...EmbedParams.properties }),
  multipart: Type.Object({
    image: OptionalFile,
    text: Text,
    model: ModelField('the default embedding model'),
    ...EmbedParams.properties,
    metadata: JsonObjectField('Kept with a stored embedding: a JSON object.'),
  }),
  response: Type.Object({
    id: Type.String({ description: 'Also the id of the stored embedding when stored.' }),
    model: ModelRef,
    embedding: Type.Array(Type.Number()),
    dim: Type.Integer(),
    normalized: Type.Boolean(),
    stored: Type.Boolean({ description: 'Whether the embedding was kept in the vector index.' }),
    timings: Timings,
  }),
};

const Search = {
  json: Type.Object({ image: Type.Optional(Base64Image), text: Text, model: ModelField('the default embedding model'), ...SearchParams.properties }),
  multipart: Type.Object({ image: OptionalFile, text: Text, model: ModelField('the default embedding model'), ...SearchParams.properties }),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    query: Type.Object({ type: Type.Enum(['image', 'text', 'id'] as const), id: Type.Optional(Type.String()) }),
    results: Type.Array(Type.Object({
      id: Type.String({ description: 'The stored embedding (the id of the request or job that stored it).' }),
      score: Type.Number({ description: 'Cosine similarity to the query, -1 to 1.' }),
      metadata: Type.Optional(Type.Unknown()),
      created_at: Type.String({ format: 'date-time' }),
    })),
    timings: Type.Object({ ...Timings.properties, search_ms: Type.Number({ description: 'The vector index lookup.' }) }),
  }),
};

/** A multipart field that carries a JSON object or array; JSON bodies send it as JSON already. */
function parseJsonField(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw errors.invalidParams(`The ${field} field is not valid JSON.`);
  }
}

/** Multipart labels: one JSON array, or repeated fields, each of which may hold several separated by commas. */
function multipartLabels(values: unknown[]): unknown {
  if (values.length === 1 && typeof values[0] === 'string' && values[0].trim().startsWith('[')) return parseJsonField(values[0], 'labels');
  return splitList(values);
}

/** The request's image when it has one (embed and search also take a text, or nothing). */
function optionalImage(body: Record<string, unknown>) {
  return body.image === undefined && body.url === undefined ? undefined : imageFromBody(body);
}

const text = (body: Record<string, unknown>) => body.text as string | undefined;
const model = (body: Record<string, unknown>) => body.model as string | undefined;
const body = (raw: unknown) => (raw ?? {}) as Record<string, unknown>;

/** Classification, embeddings and similarity search: /v1/classify, /v1/embed, /v1/search, /v1/embeddings/{id}. */
export const recognitionRoutes: FastifyPluginAsync<RouteDeps & { search: SearchService }> = async (app, { service, search }) => {
  const content = (schema: { json: unknown; multipart: unknown }) => ({
    content: { 'application/json': { schema: schema.json }, 'multipart/form-data': { schema: schema.multipart } },
  });

  app.post('/classify', {
    schema: {
      tags: ['classify'],
      summary: 'Classify an image',
      description: 'Top-k classes of an image classifier; with `labels`, zero-shot classification by a CLIP-style model.',
      body: content(Classify),
      response: { 200: Classify.response, ...errorResponses },
    },
  }, async (request) => {
    const b = body(request.body);
    const { image: _image, url: _url, model: _model, ...params } = b;
    if (request.isMultipart() && Array.isArray(params.labels)) params.labels = multipartLabels(params.labels);
    return service.run({ task: 'classify', model: model(b), params, image: imageFromBody(b) });
  });

  app.post('/embed', {
    schema: {
      tags: ['embed'],
      summary: 'Embed an image or a text',
      description: 'An image (or, for CLIP-style models, a text) as a vector, L2-normalised unless `normalize` is false. '
        + 'With `store: true` the image embedding is kept for /v1/search under the response id.',
      body: content(Embed),
      response: { 200: Embed.response, ...errorResponses },
    },
  }, async (request) => {
    const b = body(request.body);
    const { image: _image, url: _url, text: _text, model: _model, ...params } = b;
    if (params.metadata !== undefined) params.metadata = parseJsonField(params.metadata, 'metadata');
    return service.run({ task: 'embed', model: model(b), params, image: optionalImage(b), text: text(b) });
  });

  app.post('/search', {
    schema: {
      tags: ['embed'],
      summary: 'Find the stored images nearest to an image, a text or a stored embedding',
      description: 'Send one query: an image, a text (CLIP-style models) or `id`, the id of a stored embedding. Scores are cosine similarities.',
      body: content(Search),
      response: { 200: Search.response, ...errorResponses },
    },
  }, async (request) => {
    const b = body(request.body);
    const { image: _image, url: _url, text: _text, model: _model, ...params } = b;
    return service.run({ task: 'search', model: model(b), params, image: optionalImage(b), text: text(b) });
  });

  app.delete('/embeddings/:id', {
    schema: {
      tags: ['embed'],
      summary: 'Delete a stored embedding',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errorResponses },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    await search.remove(id, ownerOf(request));
    return { id, deleted: true };
  });
};
