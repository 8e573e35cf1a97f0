/**
 * Error dialects: each surface answers errors the way its clients read them. The native API keeps
 * `{"error": {code, message, details?}}`; the replaced services' surfaces speak their framework's
 * dialect (FastAPI: 422 `{"detail": [...]}` for invalid requests and `{"detail": "…"}` otherwise;
 * Flask: `{"error": "…"}`); the OpenAI-compatible API speaks OpenAI's
 * `{"error": {message, type, param, code}}`; the DeepStack / CodeProject.AI surface DeepStack's
 * `{"success": false, "error": "…"}`. Which errors happen is decided once, in errors.ts;
 * this file only changes how they are written.
 */
import type { FastifyError, FastifyRequest, RouteOptions } from 'fastify';
import Type, { type TSchema } from 'typebox';
import type { ArgusError } from '../errors.js';

export type ErrorDialect = 'native' | 'fastapi' | 'flask' | 'openai' | 'deepstack';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route writes its errors. @defaultValue native */
    errorDialect?: ErrorDialect;
  }
  interface FastifyRequest {
    /**
     * Set when one route serves two surfaces and this request came in the other one's shape (the
     * drone service's body on `POST /v1/analyze`): its errors follow that surface.
     */
    errorDialect?: ErrorDialect;
  }
}

/** The dialect a request's errors are written in. */
export function dialectOf(request: FastifyRequest): ErrorDialect {
  return request.errorDialect ?? request.routeOptions?.config?.errorDialect ?? 'native';
}

/** An answer: status, body and headers besides the JSON content type. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
}

type ValidationError = NonNullable<FastifyError['validation']>[number];

/** Where FastAPI says a request part is (`loc[0]`). */
const FASTAPI_PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/** pydantic v2's type and message for an ajv failure, as FastAPI's 422 lists them. */
function pydanticItem(error: ValidationError, part: string, data: unknown): Record<string, unknown> {
  const path = error.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const params = error.params as Record<string, unknown>;
  const input = path.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), data);
  const item = (type: string, msg: string, extra: { field?: unknown; ctx?: unknown } = {}) => ({
    type, loc: [part, ...path, ...(extra.field !== undefined ? [extra.field] : [])], msg, input: input ?? null, ...(extra.ctx ? { ctx: extra.ctx } : {}),
  });
  switch (error.keyword) {
    case 'required':
      return item('missing', 'Field required', { field: params.missingProperty });
    case 'type': {
      const wanted = String(params.type).split(',')[0];
      const [type, msg] = ({
        integer: ['int_parsing', 'Input should be a valid integer, unable to parse string as an integer'],
        number: ['float_parsing', 'Input should be a valid number, unable to parse string as a number'],
        string: ['string_type', 'Input should be a valid string'],
        boolean: ['bool_parsing', 'Input should be a valid boolean, unable to interpret input'],
        array: ['list_type', 'Input should be a valid list'],
        object: ['model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
        null: ['none_required', 'Input should be None'],
      } as Record<string, [string, string]>)[wanted] ?? ['value_error', `Value error, ${error.message}`];
      return item(type, msg);
    }
    case 'minimum':
      return item('greater_than_equal', `Input should be greater than or equal to ${params.limit}`, { ctx: { ge: params.limit } });
    case 'exclusiveMinimum':
      return item('greater_than', `Input should be greater than ${params.limit}`, { ctx: { gt: params.limit } });
    case 'maximum':
      return item('less_than_equal', `Input should be less than or equal to ${params.limit}`, { ctx: { le: params.limit } });
    case 'exclusiveMaximum':
      return item('less_than', `Input should be less than ${params.limit}`, { ctx: { lt: params.limit } });
    case 'minLength':
      return item('string_too_short', `String should have at least ${params.limit} characters`, { ctx: { min_length: params.limit } });
    case 'maxLength':
      return item('string_too_long', `String should have at most ${params.limit} characters`, { ctx: { max_length: params.limit } });
    case 'minItems':
      return item('too_short', `List should have at least ${params.limit} items after validation`, { ctx: { min_length: params.limit } });
    case 'maxItems':
      return item('too_long', `List should have at most ${params.limit} items after validation`, { ctx: { max_length: params.limit } });
    case 'enum':
    case 'const': {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [params.allowedValue];
      const listed = allowed.map((v) => `'${String(v)}'`);
      const expected = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}` : listed[0];
      return item('literal_error', `Input should be ${expected}`, { ctx: { expected } });
    }
    case 'pattern':
      return item('string_pattern_mismatch', `String should match pattern '${params.pattern}'`, { ctx: { pattern: params.pattern } });
    case 'x-file':
      return item('value_error', `Value error, Expected UploadFile, received: ${typeof input === 'string' ? "<class 'str'>" : typeof input}`);
    default:
      return item('value_error', `Value error, ${error.message ?? 'invalid'}`);
  }
}

/** The data a validation error's paths point into. */
function requestPart(request: FastifyRequest, context: string | undefined): unknown {
  if (context === 'querystring') return request.query;
  if (context === 'params') return request.params;
  if (context === 'headers') return request.headers;
  return request.body;
}

/** FastAPI: request validation (and body parsing) failures are 422 lists; everything else `{"detail": message}`. */
function fastapi(error: ArgusError, raw: Error, request: FastifyRequest): ErrorAnswer {
  const failure = raw as FastifyError;
  if (failure.validation) {
    const part = FASTAPI_PART[failure.validationContext ?? 'body'] ?? 'body';
    const data = requestPart(request, failure.validationContext);
    return { status: 422, body: { detail: failure.validation.map((v) => pydanticItem(v, part, data)) } };
  }
  if (error.code === 'invalid_json') {
    return { status: 422, body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: error.message } }] } };
  }
  if (failure.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 422, body: { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] } };
  }
  return { status: error.status, body: { detail: error.message } };
}

/** OpenAI's error types by status, as its API and client libraries use them. */
function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 503 ? 'service_unavailable_error' : 'server_error';
  return 'invalid_request_error';
}

function openai(error: ArgusError, raw: Error): ErrorAnswer {
  const failure = raw as FastifyError;
  const first = failure.validation?.[0];
  const param = first
    ? (first.keyword === 'required' ? String((first.params as { missingProperty?: string }).missingProperty) : first.instancePath.split('/').slice(1).join('.')) || null
    : error.code === 'missing_image' ? 'image' : null;
  return {
    status: error.status,
    body: { error: { message: error.message, type: openAiType(error.status), param, code: error.code } },
  };
}

/**
 * DeepStack (server/middlewares and intelligencelayer in johnolafenwa/DeepStack): 400 for any
 * request it could not use (no image, a bad min_confidence, "invalid image", "no face detected"),
 * 401 "Incorrect api key", 403 for an endpoint whose model was not started ("… endpoint not
 * activated"), 500 for its own failures. Argus's finer 415 and 422 are 400 here, and a model that
 * is not installed (nothing a retry can change) is DeepStack's 403.
 */
function deepstack(error: ArgusError, raw: Error): ErrorAnswer {
  const failure = raw as FastifyError;
  let status = error.status;
  if (failure.validation || status === 415 || status === 422) status = 400;
  else if (status === 503 && error.retryable === false) status = 403;
  return { status, body: { success: false, error: error.message } };
}

/** Writes an error in a dialect. `raw` is what was thrown (for validation details), `error` its Argus form. */
export function writeError(dialect: ErrorDialect, error: ArgusError, raw: Error, request: FastifyRequest): ErrorAnswer {
  switch (dialect) {
    case 'fastapi':
      return fastapi(error, raw, request);
    case 'flask':
      // Flask has no content negotiation: a body that is not a form simply has no image (400).
      return { status: (raw as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 400 : error.status, body: { error: error.message } };
    case 'openai':
      return openai(error, raw);
    case 'deepstack':
      return deepstack(error, raw);
    case 'native':
      return { status: error.status, body: { error: error.toJSON() } };
  }
}

const FastApiError = Type.Object({
  detail: Type.Union([
    Type.String(),
    Type.Array(Type.Object({ type: Type.String(), loc: Type.Array(Type.Union([Type.String(), Type.Integer()])), msg: Type.String(), input: Type.Unknown(), ctx: Type.Optional(Type.Unknown()) })),
  ], { description: 'A message, or (422) the list of fields that failed validation, as FastAPI writes them.' }),
}, { description: 'An error, as FastAPI writes it.' });

const FlaskError = Type.Object({ error: Type.String() }, { description: 'An error, as the Flask service wrote it.' });

const OpenAiError = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String({ description: 'invalid_request_error, authentication_error, permission_error, rate_limit_error, server_error, …' }),
    param: Type.Union([Type.String(), Type.Null()]),
    code: Type.Union([Type.String(), Type.Null()]),
  }),
}, { description: 'An error, as the OpenAI API writes it.' });

const DeepStackError = Type.Object({
  success: Type.Literal(false),
  error: Type.String(),
}, { description: 'An error, as DeepStack and CodeProject.AI Server write it.' });

const ERROR_SCHEMAS: Record<Exclude<ErrorDialect, 'native'>, TSchema> = { fastapi: FastApiError, flask: FlaskError, openai: OpenAiError, deepstack: DeepStackError };

/**
 * An `onRoute` hook for a surface's plugin: its routes write errors in `dialect`, and their
 * documented 4xx/5xx answers (and the serializer's schemas) say so.
 */
export function speaksDialect(dialect: Exclude<ErrorDialect, 'native'>) {
  return (route: RouteOptions): void => {
    route.config = { ...route.config, errorDialect: dialect };
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (!response) return;
    // A copy: response objects may be shared between routes.
    // Only the shared error answers: a route's own 4xx/5xx bodies (a failed job's result) stay its own.
    const isErrorAnswer = (status: string, schema: unknown) => /^[45]xx$/.test(status) || (schema as { $ref?: string } | undefined)?.$ref === 'ErrorResponse';
    const written = Object.fromEntries(Object.entries(response).map(([status, schema]) => [status, isErrorAnswer(status, schema) ? ERROR_SCHEMAS[dialect] : schema]));
    route.schema = { ...route.schema, response: written };
  };
}
