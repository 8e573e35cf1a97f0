/**
 * The car recognizer's API, unchanged for its clients: /upload/, /upload/batch, /inference/{id},
 * /inference/batch and /files/…; the /visualization/… routes are in recognizer-visualization.ts.
 * Errors are FastAPI's (`{"detail": …}`, 422 lists for invalid requests) and the other slash form
 * of every path redirects (307), as FastAPI's router does. An adapter: it reads requests and
 * shapes answers; the files service decides.
 */
import type { FastifyPluginAsync, preValidationHookHandler } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { FilesService } from '../../../features/files/service.js';
import type { FileListQuery } from '../../../store/files.js';
import { errorResponses, FileField } from '../../schemas.js';
import { filesOf, type UploadedFile } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import {
  BatchAccepted, BatchBody, BatchUploadResponse, FileList, ImageIdParams, ImageMetadata, InferenceResponse, ListQuery, UploadResponse,
} from './recognizer-schemas.js';
import { visualizationRoutes } from './recognizer-visualization.js';
import { fileView, recognitionView } from './recognizer-views.js';
import { ownerOf } from '../../plugins/auth.js';
import { speaksDialect } from '../../error-dialects.js';
import { slashRedirects } from '../../slash-redirects.js';

export interface RecognizerDeps extends RouteDeps {
  files: FilesService;
}

const incoming = (file: UploadedFile) => ({ bytes: file.bytes, filename: file.filename, truncated: file.truncated });
const imageId = (params: unknown) => (params as { image_id: number }).image_id;

/** A date filter: an ISO date or date-time as Unix ms, or a 400 naming the parameter. */
function dateParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw errors.invalidParams(`${name} must be an ISO date or date-time (2026-01-31 or 2026-01-31T12:00:00Z), not '${value}'.`);
  return ms;
}

/** Argus's earlier body, `{"image_ids": [...]}`, still taken: read as the bare list the original takes. */
const unwrapImageIds: preValidationHookHandler = (request, _reply, done) => {
  const body = request.body as { image_ids?: unknown } | null;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.image_ids)) request.body = body.image_ids;
  done();
};

export const recognizerRoutes: FastifyPluginAsync<RecognizerDeps> = async (app, { files, config }) => {
  app.addHook('onRoute', speaksDialect('fastapi'));
  const addSlashRedirects = slashRedirects(app);
  const tags = ['recognizer'];
  // Past the size limit the reader keeps going (the file is cut and marked), so the service
  // refuses it with the original's 400, and in a batch the other files are still stored.
  const multipartOptions = (maxFiles: number) => ({ limits: { fileSize: files.maxBytes, files: maxFiles }, throwFileSizeLimit: false });
  const uploadRules = `JPG, JPEG or PNG by name and by content, at most ${files.maxBytes} bytes (ARGUS_FILE_MAX_BYTES); each refusal is a 400.`;

  app.post('/upload/', {
    config: { multipartOptions: multipartOptions(1) },
    schema: {
      tags,
      summary: 'Store one image',
      description: `Multipart field \`file\`. ${uploadRules}`,
      body: { content: { 'multipart/form-data': { schema: Type.Object({ file: FileField('The image.') }) } } },
      response: { 200: UploadResponse, ...errorResponses },
    },
  }, async (request) => {
    const [file] = filesOf(request.body, 'file');
    const stored = await files.upload(incoming(file), ownerOf(request));
    return { message: 'File uploaded successfully.', files: [fileView(stored)] };
  });

  app.post('/upload/batch', {
    config: { multipartOptions: multipartOptions(config.uploadBatchMaxFiles) },
    schema: {
      tags,
      summary: 'Store several images',
      description: `Multipart field \`files\`, repeated (at most ${config.uploadBatchMaxFiles}, ARGUS_UPLOAD_BATCH_MAX_FILES). ${uploadRules} `
        + 'Good files are stored; each bad one is named in `message` and listed in `failed`. 400 when none could be stored.',
      body: { content: { 'multipart/form-data': { schema: Type.Object({ files: Type.Array(FileField('An image.'), { minItems: 1 }) }) } } },
      response: { 200: BatchUploadResponse, ...errorResponses },
    },
  }, async (request) => {
    const { stored, failed } = await files.uploadBatch(filesOf(request.body, 'files').map(incoming), ownerOf(request));
    const problems = failed.map((f) => `${f.filename}: ${f.message}`).join('; ');
    return { message: `Files uploaded: ${stored.length}.${problems ? ` Errors: ${problems}` : ''}`, files: stored.map(fileView), failed };
  });

  app.post('/inference/batch', {
    preValidation: unwrapImageIds,
    schema: {
      tags,
      summary: 'Recognize several stored images',
      description: 'A JSON list of ids (`[1, 2, 3]`; `{"image_ids": [...]}` is taken too). Answers the list of recognitions, one per id '
        + 'sent, in order; ids not found or that fail are skipped (logged, and counted in `x-argus-skipped`); 400 when none '
        + `succeeded, an empty list too. More than ${config.recognizeBatchSyncMax} distinct ids (ARGUS_RECOGNIZE_BATCH_SYNC_MAX) `
        + 'are accepted as an async job instead (202, GET /v1/jobs/{job_id}).',
      body: BatchBody,
      response: { 200: Type.Array(InferenceResponse), 202: BatchAccepted, ...errorResponses },
    },
  }, async (request, reply) => {
    const outcome = await files.recognizeBatch(request.body as number[], ownerOf(request));
    if ('sync' in outcome) return reply.header('x-argus-skipped', String(outcome.sync.skipped.length)).send(outcome.sync.results.map(recognitionView));
    const { job } = outcome;
    const total = (job.params as { image_ids: number[] }).image_ids.length;
    return reply.status(202).send({ job_id: job.id, status: job.status, total, status_url: `/v1/jobs/${job.id}` });
  });

  app.post('/inference/:image_id', {
    schema: {
      tags,
      summary: 'Recognize a stored image',
      description: 'The top predictions (ARGUS_RECOGNIZE_TOP_K, 3), stored with the image, with the model that answered and its timings. '
        + 'An image already recognized answers its stored result (`cached: true`).',
      params: ImageIdParams,
      response: { 200: InferenceResponse, ...errorResponses },
    },
  }, async (request) => recognitionView(await files.recognize(imageId(request.params), undefined, ownerOf(request))));

  app.get('/files/', {
    schema: {
      tags,
      summary: 'List stored images',
      description: 'A JSON list, by id. Every image unless `limit` is given; the header x-total-count says how many match the filters.',
      querystring: ListQuery,
      response: { 200: FileList, ...errorResponses },
    },
  }, async (request, reply) => {
    const q = request.query as { limit?: number; offset: number; processed?: boolean; label?: string; from?: string; to?: string; order: 'asc' | 'desc' };
    const query: FileListQuery = {
      limit: q.limit, offset: q.offset, order: q.order, processed: q.processed, label: q.label, from: dateParam('from', q.from), to: dateParam('to', q.to),
      owner: ownerOf(request),
    };
    const { items, total } = await files.list(query);
    return reply.header('x-total-count', String(total)).send(items.map(fileView));
  });

  app.delete('/files/', {
    schema: {
      tags,
      summary: 'Delete every stored image',
      description: 'With API keys, an inference key deletes its own images only.',
      response: { 200: Type.Object({ message: Type.String(), deleted: Type.Integer() }), ...errorResponses },
    },
  }, async (request) => {
    const deleted = await files.deleteAll(ownerOf(request));
    return { message: `Deleted ${deleted} file(s).`, deleted };
  });

  app.get('/files/:image_id', {
    schema: { tags, summary: 'A stored image\'s metadata and predictions', params: ImageIdParams, response: { 200: ImageMetadata, ...errorResponses } },
  }, async (request) => fileView(await files.get(imageId(request.params), ownerOf(request))));

  app.get('/files/:image_id/content', {
    schema: { tags, summary: 'The stored image itself', params: ImageIdParams, response: { 200: { description: 'The image bytes (image/jpeg or image/png).' }, ...errorResponses } },
  }, async (request, reply) => {
    const { file, bytes } = await files.content(imageId(request.params), ownerOf(request));
    return reply
      .type(file.contentType)
      .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
      .header('x-content-type-options', 'nosniff')
      .send(bytes);
  });

  app.delete('/files/:image_id', {
    schema: {
      tags,
      summary: 'Delete a stored image',
      description: 'The image, its predictions, its thumbnail and its vector-index entry all go; a second delete is a 404.',
      params: ImageIdParams,
      response: { 200: Type.Object({ message: Type.String(), id: Type.Integer() }), ...errorResponses },
    },
  }, async (request) => {
    const file = await files.delete(imageId(request.params), ownerOf(request));
    return { message: `File '${file.filename}' deleted.`, id: file.id };
  });

  app.post('/files/:image_id/reprocess', {
    schema: {
      tags,
      summary: 'Forget a stored image\'s predictions',
      description: 'Answers the image (processed: false, results: null); the next POST /inference/{image_id} computes them again.',
      params: ImageIdParams,
      response: { 200: ImageMetadata, ...errorResponses },
    },
  }, async (request) => fileView(await files.reprocess(imageId(request.params), ownerOf(request))));

  await app.register(visualizationRoutes, { files });
  addSlashRedirects();
};
