/**
 * The car recognizer's API, unchanged for its clients: /upload/, /upload/batch, /inference/{id},
 * /inference/batch and /files/…; the /visualization/… routes are in recognizer-visualization.ts.
 * An adapter: it reads requests and shapes answers; the files service decides.
 */
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { fileView, type FilesService } from '../../../service/files.js';
import type { FileListQuery } from '../../../store/files.js';
import { errorResponses, FileField } from '../../schemas.js';
import type { UploadedFile } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import {
  BatchAccepted, BatchBody, BatchResult, BatchUploaded, FileInfo, FileList, ImageIdParams, ListQuery, RecognitionResult, Uploaded,
} from './recognizer-schemas.js';
import { visualizationRoutes } from './recognizer-visualization.js';
import { ownerOf } from '../../plugins/auth.js';
import { speaksDialect } from '../../error-dialects.js';

export interface RecognizerDeps extends RouteDeps {
  files: FilesService;
}

const incoming = (file: UploadedFile) => ({ bytes: file.bytes, filename: file.filename, truncated: file.truncated });

/** A date filter: an ISO date or date-time as Unix ms, or a 400 naming the parameter. */
function dateParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw errors.invalidParams(`${name} must be an ISO date or date-time (2026-01-31 or 2026-01-31T12:00:00Z), not '${value}'.`);
  return ms;
}

export const recognizerRoutes: FastifyPluginAsync<RecognizerDeps> = async (app, { files, config }) => {
  app.addHook('onRoute', speaksDialect('fastapi'));
  const tags = ['recognizer'];
  const limits = { fileSize: files.maxBytes };

  app.post('/upload/', {
    config: { multipartOptions: { limits: { ...limits, files: 1 } } },
    schema: {
      tags,
      summary: 'Store one image (JPG or PNG)',
      description: `Multipart field \`file\`. Checked by content, not by name; at most ${files.maxBytes} bytes (ARGUS_FILE_MAX_BYTES).`,
      body: { content: { 'multipart/form-data': { schema: Type.Object({ file: FileField('The image.') }) } } },
      response: { 200: Uploaded, ...errorResponses },
    },
  }, async (request) => {
    const stored = await files.upload(incoming((request.body as { file: UploadedFile }).file), ownerOf(request));
    return { ...fileView(stored), message: 'File uploaded successfully.' };
  });

  app.post('/upload/batch', {
    // Past one file's limit the reader keeps going (the file is cut and marked), so one large
    // file is reported as such while the rest of the batch is stored.
    config: { multipartOptions: { limits: { ...limits, files: config.uploadBatchMaxFiles }, throwFileSizeLimit: false } },
    schema: {
      tags,
      summary: 'Store several images',
      description: `Multipart field \`files\`, repeated (at most ${config.uploadBatchMaxFiles}, ARGUS_UPLOAD_BATCH_MAX_FILES). Good files are stored; each bad one is listed in \`failed\` with its reason. 400 when none could be stored.`,
      body: { content: { 'multipart/form-data': { schema: Type.Object({ files: Type.Array(FileField('An image.'), { minItems: 1 }) }) } } },
      response: { 200: BatchUploaded, ...errorResponses },
    },
  }, async (request) => {
    const batch = (request.body as { files: UploadedFile[] }).files;
    const { stored, failed } = await files.uploadBatch(batch.map(incoming), ownerOf(request));
    return { uploaded: stored.map(fileView), failed, total: batch.length, succeeded: stored.length };
  });

  app.post('/inference/batch', {
    schema: {
      tags,
      summary: 'Recognize several stored images',
      description: `Up to ${config.recognizeBatchSyncMax} distinct ids (ARGUS_RECOGNIZE_BATCH_SYNC_MAX) are answered now (200); a larger batch becomes an async job (202) whose progress and result GET /v1/jobs/{job_id} shows.`,
      body: BatchBody,
      response: { 200: BatchResult, 202: BatchAccepted, ...errorResponses },
    },
  }, async (request, reply) => {
    const outcome = await files.recognizeBatch((request.body as { image_ids: number[] }).image_ids, ownerOf(request));
    if ('sync' in outcome) return outcome.sync;
    const { job } = outcome;
    const total = (job.params as { image_ids: number[] }).image_ids.length;
    return reply.status(202).send({ job_id: job.id, status: job.status, total, status_url: `/v1/jobs/${job.id}` });
  });

  app.post('/inference/:image_id', {
    schema: {
      tags,
      summary: 'Recognize a stored image',
      description: 'Top-k labels with confidences, the model that answered and its timings, stored with the image. An image already recognized answers its stored result (`cached: true`).',
      params: ImageIdParams,
      response: { 200: RecognitionResult, ...errorResponses },
    },
  }, async (request) => files.recognize((request.params as { image_id: number }).image_id, undefined, ownerOf(request)));

  app.get('/files/', {
    schema: {
      tags,
      summary: 'List stored images',
      querystring: ListQuery,
      response: { 200: FileList, ...errorResponses },
    },
  }, async (request) => {
    const q = request.query as { limit: number; offset: number; processed?: boolean; label?: string; from?: string; to?: string; order: 'asc' | 'desc' };
    const query: FileListQuery = {
      limit: q.limit, offset: q.offset, order: q.order, processed: q.processed, label: q.label, from: dateParam('from', q.from), to: dateParam('to', q.to),
      owner: ownerOf(request),
    };
    const { items, total } = await files.list(query);
    return { items: items.map(fileView), total, limit: q.limit, offset: q.offset };
  });

  app.get('/files/:image_id', {
    schema: { tags, summary: 'A stored image\'s metadata and predictions', params: ImageIdParams, response: { 200: FileInfo, ...errorResponses } },
  }, async (request) => fileView(await files.get((request.params as { image_id: number }).image_id, ownerOf(request))));

  app.get('/files/:image_id/content', {
    schema: { tags, summary: 'The stored image itself', params: ImageIdParams, response: { 200: { description: 'The image bytes (image/jpeg or image/png).' }, ...errorResponses } },
  }, async (request, reply) => {
    const { file, bytes } = await files.content((request.params as { image_id: number }).image_id, ownerOf(request));
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
      response: { 200: Type.Object({ image_id: Type.Integer(), deleted: Type.Literal(true), message: Type.String() }), ...errorResponses },
    },
  }, async (request) => {
    const { id } = await files.delete((request.params as { image_id: number }).image_id, ownerOf(request));
    return { image_id: id, deleted: true as const, message: 'File deleted successfully.' };
  });

  app.post('/files/:image_id/reprocess', {
    schema: {
      tags,
      summary: 'Forget a stored image\'s predictions',
      description: 'The next POST /inference/{image_id} computes them again.',
      params: ImageIdParams,
      response: { 200: Type.Object({ ...FileInfo.properties, message: Type.String() }), ...errorResponses },
    },
  }, async (request) => {
    const file = await files.reprocess((request.params as { image_id: number }).image_id, ownerOf(request));
    return { ...fileView(file), message: 'Predictions cleared; run POST /inference/{image_id} to recognize it again.' };
  });

  await app.register(visualizationRoutes, { files });
};
