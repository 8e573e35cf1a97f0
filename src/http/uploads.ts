import type { MultipartFile } from '@fastify/multipart';
import type { Ajv } from 'ajv';
import type { preValidationHookHandler, RouteOptions } from 'fastify';
import { errors } from '../errors.js';
import type { ImageSource } from '../service/inference.js';

/** A file part of a multipart request, read into memory (bounded by the upload limit). */
export class UploadedFile {
  constructor(
    readonly bytes: Buffer,
    readonly filename: string,
    readonly mimetype: string,
    /**
     * The file was longer than the route's size limit and was cut there. Only routes that keep
     * going past one file's limit (`throwFileSizeLimit: false`, a batch upload) ever see this.
     */
    readonly truncated = false,
  ) {}
}

/** multipart `onFile`: keeps each file as an {@link UploadedFile} in the body (with `attachFieldsToBody: 'keyValues'`). */
export async function collectFile(this: unknown, part: MultipartFile): Promise<void> {
  const bytes = await part.toBuffer();
  (part as MultipartFile & { value: unknown }).value = new UploadedFile(bytes, part.filename, part.mimetype, part.file.truncated);
}

/**
 * Adds the `x-file` schema keyword: validates that a multipart field is an uploaded file. The
 * schema itself is left as it is (route schemas are shared by every app built in a process); the
 * OpenAPI document shows such fields as binary strings through {@link documentFileFields}.
 */
export function ajvFileKeyword(ajv: Ajv): Ajv {
  return ajv.addKeyword({
    keyword: 'x-file',
    validate: (_schema: unknown, value: unknown) => value instanceof UploadedFile,
    error: { message: 'must be a file upload' },
  });
}

/** A copy of a schema with every `x-file` field shown as `{type: string, format: binary}`. */
export function documentFileFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(documentFileFields);
  if (schema === null || typeof schema !== 'object') return schema;
  const record = schema as Record<string, unknown>;
  if (record['x-file']) {
    const { 'x-file': _marker, ...rest } = record;
    return { ...rest, type: 'string', format: 'binary' };
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, documentFileFields(v)]));
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(;[\w-]+=[^;,]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes base64 or a base64 data URL strictly: anything else is a 400, never garbage bytes. */
export function decodeBase64Image(text: string): Buffer {
  const payload = text.replace(DATA_URL, '').replace(/\s+/g, '');
  if (payload.length === 0) throw errors.missingImage('the image field is empty.');
  if (payload.length % 4 === 1 || !BASE64.test(payload)) throw errors.invalidBase64();
  return Buffer.from(payload, payload.includes('-') || payload.includes('_') ? 'base64url' : 'base64');
}

/**
 * The image of a request body: a multipart file or a JSON base64 string under `field`, or (for
 * `image`) a JSON `url`, which the service fetches under its address rules.
 */
export function imageFromBody(body: unknown, field = 'image'): ImageSource {
  const record = body as Record<string, unknown> | undefined;
  const value = record?.[field];
  if (value instanceof UploadedFile) return { bytes: value.bytes, filename: value.filename };
  if (typeof value === 'string') return { bytes: decodeBase64Image(value) };
  if (value === undefined && field === 'image' && typeof record?.url === 'string') return { url: record.url };
  throw errors.missingImage(`send it as multipart field '${field}', or as JSON {"${field}": "<base64 or data URL>"}${field === 'image' ? ' or {"url": "https://…"}' : ''}.`);
}

/** The JSON `url` every image route accepts instead of `image` (added by {@link acceptImageUrls}). */
export const ImageUrlField = {
  type: 'string',
  minLength: 1,
  maxLength: 8192,
  description: 'Instead of `image`: an http(s) URL Argus fetches (public addresses only, unless allowlisted; at most the upload limit; an image content type).',
} as const;

type JsonSchema = { type?: unknown; properties?: Record<string, unknown>; required?: string[] };

/** A copy of a JSON body schema that also takes `url`, with `image` no longer required; undefined when it does not apply. */
function withImageUrl(schema: JsonSchema | undefined): JsonSchema | undefined {
  const properties = schema?.properties;
  if (!properties || !('image' in properties) || 'url' in properties) return undefined;
  return { ...schema, properties: { ...properties, url: ImageUrlField }, required: schema!.required?.filter((name) => name !== 'image') };
}

/**
 * `onRoute` hook: every route whose JSON body has an `image` field (and no `url` of its own, as the
 * video route has) also takes `{"url": "https://…"}` instead of the image. Done here, once, for
 * every native task; `imageFromBody` turns it into a URL the service fetches. The schema is
 * copied, never changed in place (route schemas are shared by every app built in a process).
 */
export function acceptImageUrls(route: RouteOptions): void {
  const body = route.schema?.body as { content?: Record<string, { schema: JsonSchema }> } & JsonSchema | undefined;
  if (!body) return;
  const json = body.content?.['application/json'];
  if (json) {
    const schema = withImageUrl(json.schema);
    if (schema) route.schema = { ...route.schema, body: { ...body, content: { ...body.content, 'application/json': { ...json, schema } } } };
    return;
  }
  const schema = withImageUrl(body);
  if (schema) route.schema = { ...route.schema, body: schema };
}

/**
 * `onRoute` hook: a multipart field the schema declares as an array of files also takes a single
 * part. The multipart plugin gives a repeated field as an array but one part as a plain value,
 * and ajv only coerces scalars into arrays, so a batch of one file was refused as "must be array".
 */
export function acceptSingleFileArrays(route: RouteOptions): void {
  const body = route.schema?.body as { content?: Record<string, { schema: JsonSchema }> } | undefined;
  const properties = body?.content?.['multipart/form-data']?.schema.properties;
  if (!properties) return;
  const arrays = Object.entries(properties)
    .filter(([, field]) => (field as { type?: unknown; items?: Record<string, unknown> }).type === 'array' && (field as { items?: Record<string, unknown> }).items?.['x-file'])
    .map(([name]) => name);
  if (arrays.length === 0) return;
  const wrap: preValidationHookHandler = (request, _reply, done) => {
    const record = request.body as Record<string, unknown> | undefined;
    for (const name of arrays) if (record?.[name] instanceof UploadedFile) record[name] = [record[name]];
    done();
  };
  // First, so the route's own preValidation hooks see the array too.
  route.preValidation = [wrap, ...(route.preValidation ? [route.preValidation].flat() : [])];
}

/**
 * A required field the request lacks, reported as the schema validator reports one, so that each
 * surface's dialect writes it as its framework did (FastAPI: 422 `missing`). Needed because
 * Fastify validates a body only against the schema of its content type: a request with no body,
 * or a JSON one, reaches a multipart-only route's handler unchecked.
 */
export function missingField(name: string): Error {
  const message = `must have required property '${name}'`;
  return Object.assign(new Error(`body ${message}`), {
    statusCode: 400,
    validationContext: 'body',
    validation: [{ keyword: 'required', instancePath: '', schemaPath: '#/required', params: { missingProperty: name }, message }],
  });
}

/** The files of a multipart field (one part or several), or a {@link missingField} error. */
export function filesOf(body: unknown, name: string): UploadedFile[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  const files = (Array.isArray(value) ? value : [value]).filter((v): v is UploadedFile => v instanceof UploadedFile);
  if (files.length === 0) throw missingField(name);
  return files;
}

/** Splits comma-separated lists sent as one multipart field (`classes=person,bus`). */
export function splitList(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.flatMap((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [v]));
}
