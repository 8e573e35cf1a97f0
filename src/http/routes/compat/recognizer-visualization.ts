/**
 * The car recognizer's reports: GET /visualization/stats (JSON), /visualization/export/csv
 * (RFC 4180, streamed page by page) and /visualization/report (one self-contained HTML page).
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { fileView, type FilesService } from '../../../service/files.js';
import type { FileStats, StoredFile } from '../../../store/files.js';
import { errorResponses } from '../../schemas.js';
import { renderReport } from './recognizer-report.js';
import { Stats } from './recognizer-schemas.js';
import { ownerOf } from '../../plugins/auth.js';

/** Statistics as the API shows them. */
export function statsView(stats: FileStats) {
  return {
    total_files: stats.total,
    processed: stats.processed,
    unprocessed: stats.total - stats.processed,
    predictions_per_label: stats.labels,
    confidence_histogram: stats.confidence.map((count, bin) => ({ from: bin / 10, to: (bin + 1) / 10, count })),
    mean_inference_ms: stats.meanInferenceMs === null ? null : Math.round(stats.meanInferenceMs * 100) / 100,
    models: stats.models,
  };
}

export type StatsView = ReturnType<typeof statsView>;

const COLUMNS = [
  'image_id', 'filename', 'content_type', 'size', 'width', 'height', 'sha256', 'uploaded_at',
  'processed_at', 'model', 'label_set', 'top_label', 'top_confidence', 'inference_ms',
] as const;

function csvRow(file: StoredFile): Record<(typeof COLUMNS)[number], string | number> {
  // The same fields as GET /files/{id} shows, flattened to one row with its top prediction.
  const view = fileView(file);
  const top = view.top_prediction;
  return {
    image_id: view.image_id,
    filename: view.filename,
    content_type: view.content_type,
    size: view.size,
    width: view.width,
    height: view.height,
    sha256: view.sha256,
    uploaded_at: view.uploaded_at,
    processed_at: view.processed_at ?? '',
    model: view.model?.alias ?? '',
    label_set: view.label_set ?? '',
    top_label: top?.label ?? '',
    top_confidence: top?.confidence ?? '',
    inference_ms: file.recognition?.timings.inference_ms ?? '',
  };
}

export const visualizationRoutes: FastifyPluginAsync<{ files: FilesService }> = async (app, { files }) => {
  const tags = ['recognizer'];

  app.get('/visualization/stats', {
    schema: {
      tags,
      summary: 'Counts, labels, confidence histogram, mean inference time and models',
      response: { 200: Stats, ...errorResponses },
    },
  }, async (request) => statsView(await files.stats(ownerOf(request))));

  app.get('/visualization/export/csv', {
    schema: {
      tags,
      summary: 'One CSV row per image with its top prediction',
      description: 'RFC 4180 (CRLF, fields with commas, quotes or line breaks quoted, quotes doubled), streamed: any number of rows '
        + 'is read page by page. Processed images only unless include_unprocessed=true; 404 when there is nothing to export. '
        + 'A field beginning with =, +, - or @ gets a leading \' so that spreadsheets do not run it as a formula.',
      querystring: Type.Object({ include_unprocessed: Type.Boolean({ default: false }) }),
      response: { 200: { description: 'text/csv' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const owner = ownerOf(request);
    const filter = (request.query as { include_unprocessed: boolean }).include_unprocessed ? { owner } : { processed: true, owner };
    if ((await files.count(filter)) === 0) throw errors.nothingToExport();
    const rows = Readable.from((async function* () {
      for await (const file of files.each(filter)) yield csvRow(file);
    })(), { objectMode: true });
    const csv = stringify({ header: true, columns: [...COLUMNS], record_delimiter: 'windows', escape_formulas: true });
    // A failing page ends the download early (the client sees a cut response), and is logged.
    rows.on('error', (error) => {
      request.log.error({ err: error }, 'CSV export failed while streaming');
      csv.destroy(error);
    });
    const stamp = new Date().toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="recognitions-${stamp}.csv"`)
      .send(rows.pipe(csv));
  });

  app.get('/visualization/report', {
    schema: {
      tags,
      summary: 'A self-contained HTML report',
      description: 'Totals, a bar chart of labels, the confidence histogram and the recent images with thumbnails and predictions; no external resources, no scripts.',
      querystring: Type.Object({ recent: Type.Integer({ minimum: 0, maximum: 200, default: 20, description: 'Recent images listed.' }) }),
      response: { 200: { description: 'text/html' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const data = await files.report((request.query as { recent: number }).recent, ownerOf(request));
    const html = renderReport({ stats: statsView(data.stats), recent: data.recent, recognizer: data.recognizer, generatedAt: new Date() });
    return reply
      .type('text/html; charset=utf-8')
      // Everything is inline: no script, styles and data: images only.
      .header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
      .send(html);
  });
};
