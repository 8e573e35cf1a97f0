/**
 * Recognising and checking the drone service's request body. Its clients send it to `POST
 * /v1/analyze`, the path of Argus's native analyze, so the one route tells the two bodies apart
 * here; and it is checked as pydantic checked it, not by the server's own validator.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyError, FastifyRequest } from 'fastify';
import { DRONE_FIELDS, DroneAnalyzeRequest } from './drone-analysis-schemas.js';

/** The original's body, checked. */
export interface DroneBody {
  request_id: string;
  image_id: string;
  image_base64: string;
}

/**
 * Whether a request is the drone service's: a JSON object that names any of its fields and neither
 * of the native body's image fields (`image`, `url`). A native body with stray fields stays native.
 */
export function isDroneRequest(request: FastifyRequest): boolean {
  const body = request.body;
  if (!/^application\/json/i.test(request.headers['content-type'] ?? '')) return false;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  return !('image' in body) && !('url' in body) && DRONE_FIELDS.some((field) => field in body);
}

/**
 * pydantic neither coerces (`null` is not `""`, `1` is not `"1"`) nor stops at the first problem,
 * and FastAPI lists every one. The server's ajv does both (coercion for multipart forms, one error
 * for speed), so the original's body gets a validator of its own.
 */
const validate = new Ajv({ allErrors: true, strict: false }).compile(DroneAnalyzeRequest);
const FIELD_ORDER: readonly string[] = Object.keys(DroneAnalyzeRequest.properties);

/** The field an ajv error is about, for ordering. */
function fieldOf(error: ErrorObject): string {
  if (error.keyword === 'required') return String((error.params as { missingProperty: string }).missingProperty);
  return error.instancePath.split('/')[1] ?? '';
}

/**
 * A union (requested_at: a date-time string or a number) fails once per branch and once as a
 * whole; pydantic reports one problem per field, so the branches' errors give way to the whole's.
 */
function onePerUnion(errors: ErrorObject[]): ErrorObject[] {
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors
    .filter((e) => !unions.has(e.instancePath) || e.keyword === 'anyOf')
    .map((e) => (e.keyword === 'anyOf' ? { ...e, message: 'must be an ISO 8601 date-time or a Unix time' } : e));
}

/**
 * Checks the original's body. Throws a validation error shaped as Fastify's own (`validation`,
 * `validationContext`), which the error handler writes as FastAPI's 422 `{"detail": [...]}`,
 * problems in field order as pydantic lists them.
 */
export function checkDroneBody(body: unknown): DroneBody {
  if (body === undefined || body === null) {
    // FastAPI's answer to a request without a body: the body is a missing field.
    throw Object.assign(new Error('The request has no body.'), { statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
  }
  if (validate(body)) return body as DroneBody;
  const problems = onePerUnion(validate.errors ?? []).sort((a, b) => FIELD_ORDER.indexOf(fieldOf(a)) - FIELD_ORDER.indexOf(fieldOf(b)));
  const error = new Error(`body${problems[0]?.instancePath ?? ''} ${problems[0]?.message ?? 'is invalid'}`) as FastifyError;
  Object.assign(error, { statusCode: 400, code: 'FST_ERR_VALIDATION', validation: problems, validationContext: 'body' });
  throw error;
}
