/**
 * Task parameters in the query string. Many detection clients send them there
 * (`POST /v1/detect?model=yolov8n&conf=0.1`), so every native route that takes an image also takes
 * its fields from the query: typed by the same schema as the body, refused by name when unknown,
 * and never silently dropped.
 */
import type { FastifyRequest, preValidationHookHandler, RouteOptions } from 'fastify';
import { errors } from '../errors.js';

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema & Record<string, unknown>>; required?: string[]; items?: JsonSchema };

/** Body fields that are the input itself, never a parameter. */
const INPUT_FIELDS = new Set(['image', 'url', 'images', 'text']);

type Field = JsonSchema & { anyOf?: Field[]; 'x-file'?: boolean };

/** A text, number or boolean field (or a union of them): what a query string can carry. */
const isScalar = (schema: Field | undefined): boolean =>
  schema !== undefined && !schema['x-file'] && (
    schema.anyOf ? schema.anyOf.every(isScalar) : ['string', 'number', 'integer', 'boolean'].some((t) => schema.type === t || (Array.isArray(schema.type) && schema.type.includes(t))));

/** The query-string schema for a body schema: its scalar (and list-of-scalar) fields, all optional, no defaults. */
function querySchemaFor(body: JsonSchema): JsonSchema | undefined {
  const properties = Object.fromEntries(Object.entries(body.properties ?? {})
    .filter(([name, field]) => !INPUT_FIELDS.has(name) && (isScalar(field) || (field.type === 'array' && isScalar(field.items))))
    // Defaults stay with the body: a default filled in here would look like a value the client sent.
    .map(([name, { default: _default, ...field }]) => [name, field]));
  if (Object.keys(properties).length === 0) return undefined;
  return { type: 'object', properties };
}

/** The JSON body schema of a route, where it takes an `image`. */
function jsonBodySchema(route: RouteOptions): JsonSchema | undefined {
  const body = route.schema?.body as ({ content?: Record<string, { schema: JsonSchema }> } & JsonSchema) | undefined;
  const schema = body?.content ? body.content['application/json']?.schema : body;
  return schema?.properties && 'image' in schema.properties ? schema : undefined;
}

/**
 * `onRoute` hook for the native API: a POST route under /v1 whose JSON body takes an `image` (and
 * that has no query schema of its own) also takes its parameters from the query string. Unknown
 * query parameters are a 400 that lists the accepted ones; a parameter sent both in the query and
 * in the body is a 400 too, since either choice would ignore one of them.
 */
export function acceptQueryParams(route: RouteOptions): void {
  const method = Array.isArray(route.method) ? route.method : [route.method];
  if (!method.includes('POST') || !route.url.startsWith('/v1/') || route.schema?.querystring) return;
  const body = jsonBodySchema(route);
  const querystring = body && querySchemaFor(body);
  if (!querystring) return;
  route.schema = { ...route.schema, querystring };
  const accepted = Object.keys(querystring.properties!);
  const merge: preValidationHookHandler = (request, _reply, done) => {
    try {
      mergeQuery(request, querystring, accepted);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
  route.preValidation = [merge, ...(route.preValidation ? [route.preValidation].flat() : [])];
}

function mergeQuery(request: FastifyRequest, querystring: JsonSchema, accepted: string[]): void {
  const query = { ...(request.query as Record<string, unknown>) };
  const names = Object.keys(query);
  if (names.length === 0) return;
  const unknown = names.filter((name) => !accepted.includes(name));
  if (unknown.length) {
    throw errors.invalidParams(`Unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; this route takes ${accepted.join(', ')}.`);
  }
  // Typed (and checked) by the query schema: "0.1" becomes 0.1, "yes" for a number is a 400 here.
  const validate = request.compileValidationSchema(querystring, 'querystring');
  if (!validate(query)) {
    const first = validate.errors?.[0];
    throw errors.invalidParams(`Invalid query parameter ${first?.instancePath.slice(1) ?? ''}: ${first?.message ?? 'invalid'}.`, validate.errors?.map((e) => ({ path: e.instancePath, message: e.message })));
  }
  const body = (request.body ?? {}) as Record<string, unknown>;
  const twice = names.filter((name) => body[name] !== undefined);
  if (twice.length) throw errors.invalidParams(`${twice.map((n) => `'${n}'`).join(', ')} sent both in the query string and in the body; send each once.`);
  request.body = { ...body, ...query };
}
