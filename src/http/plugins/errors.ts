import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ArgusError, errors } from '../../errors.js';
import { dialectOf, writeError } from '../error-dialects.js';

/** Fastify and plugin error codes that are the client's doing, mapped to Argus codes. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_PARTS_LIMIT: 'payload_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_FIELDS_LIMIT: 'too_many_fields',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'missing_image',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'invalid_multipart',
  FST_PROTO_VIOLATION: 'invalid_multipart',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

/**
 * Errors the multipart parser (busboy) throws as plain Errors, without a status, for bodies a
 * client malformed: no boundary, a part cut off, a broken part header.
 */
const MULTIPART_ERRORS = /^(Multipart: Boundary not found|Part terminated early|Unexpected end of (form|multipart)|Malformed part header)/;

/** Turns whatever was thrown into the one error shape, with its status. */
export function toArgusError(error: FastifyError | Error): ArgusError {
  if (error instanceof ArgusError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.statusCode === undefined && MULTIPART_ERRORS.test(error.message)) {
    return new ArgusError('invalid_multipart', 400, `Malformed multipart body: ${error.message}.`);
  }
  if (fastifyError.validation) {
    const missingImage = fastifyError.validation.some((v) => v.keyword === 'required' && (v.params as { missingProperty?: string }).missingProperty === 'image');
    if (missingImage) return errors.missingImage(`send it as multipart field 'image', or as JSON {"image": "<base64 or data URL>"}.`);
    const details = fastifyError.validation.map((v) => ({ path: v.instancePath, message: v.message }));
    return errors.invalidParams(`Invalid request ${fastifyError.validationContext ?? ''}: ${fastifyError.message}`.replace(/\s+:/, ':'), details);
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = (fastifyError.code && FRAMEWORK_CODES[fastifyError.code]) ?? 'bad_request';
    const message = code === 'missing_image'
      ? `No image in the request: send it as multipart field 'image', or as JSON {"image": "<base64 or data URL>"}.`
      : fastifyError.message;
    return new ArgusError(code, status, message);
  }
  return errors.internal();
}

/** Sends an error in the dialect of the request's surface (see error-dialects.ts). */
function send(request: FastifyRequest, reply: FastifyReply, error: ArgusError, raw: Error = error): FastifyReply {
  if (error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
  // OpenAI's client libraries retry 5xx twice unless told not to: an error that waiting cannot fix
  // (a model that is not installed) says so.
  if (error.retryable === false) reply.header('x-should-retry', 'false');
  reply.header('x-argus-error-code', error.code);
  const { status, body } = writeError(dialectOf(request), error, raw, request);
  // A request in another surface's shape than its route's (the drone service's body on POST
  // /v1/analyze): the route's error schemas describe its own dialect, so the body is written as built.
  if (request.errorDialect !== undefined && request.errorDialect !== (request.routeOptions.config?.errorDialect ?? 'native')) {
    reply.type('application/json; charset=utf-8').serializer((payload) => JSON.stringify(payload));
  }
  return reply.status(status).send(body);
}

/**
 * One error handler for every route: known errors keep their status and code; anything else is
 * logged with its stack and answered as a plain 500 that leaks nothing.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toArgusError(error);
    if (mapped.status >= 500 && !(error instanceof ArgusError)) {
      request.log.error({ err: error }, 'unhandled error');
    } else if (mapped.status >= 500) {
      request.log.warn({ code: mapped.code, msg: mapped.message }, 'request failed');
    } else {
      request.log.info({ code: mapped.code, status: mapped.status }, 'request rejected');
    }
    return send(request, reply, mapped, error);
  });
  app.setNotFoundHandler((request, reply) => send(request, reply, errors.routeNotFound(request.method, request.url.split('?')[0])));
}, { name: 'argus-errors' });
