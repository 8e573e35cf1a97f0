/**
 * The car recognizer's reports: GET /visualization/stats (the original's `StatsResponse`, then
 * Argus's extras: recognizer-views.ts), /visualization/export/csv (the original's four columns, streamed page by page)
 * and /visualization/report (one self-contained HTML page).
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { FilesService } from '../../../features/files/service.js';
import type { StoredFile } from '../../../store/files.js';
import { errorResponses } from '../../schemas.js';
import { renderReport } from './recognizer-report.js';
import { Stats } from './recognizer-schemas.js';
import { fileView, statsView } from './recognizer-views.js';
import { ownerOf } from '../../plugins/auth.js';

/** A float as Python's str() writes it, as the original's CSV has them: 1.0, not 1. */
export const pythonFloat = (value: number) => (Number.isInteger(value) ? value.toFixed(1) : String(value));

/** The original's columns. */
const COLUMNS = ['filename', 'top_prediction', 'confidence', 'all_predictions'] as const;
/** Argus's, after them with ?extended=true. */
const EXTENDED = ['id', 'mime_type', 'size_bytes', 'width', 'height', 'sha256', 'upload_date', 'processed_at', 'model', 'label_set', 'inference_ms'] as const;

type Row = Record<(typeof COLUMNS)[number] | (typeof EXTENDED)[number], string | number>;

function csvRow(file: StoredFile): Row {
  const view = fileView(file);
  const results = view.results ?? [];
  const top = results[0];
  return {
    filename: view.filename,
    top_prediction: top?.label ?? '',
    confidence: top ? pythonFloat(top.confidence) : '',
    all_predictions: results.map((p) => `${p.label} (${pythonFloat(p.confidence)})`).join(', '),
    id: view.id,
    mime_type: view.mime_type,
    size_bytes: view.size_bytes,
    width: view.width,
    height: view.height,
    sha256: view.sha256,
    upload_date: view.upload_date,
    processed_at: view.processed_at ?? '',
    model: view.model?.alias ?? '',
    label_set: view.label_set ?? '',
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
      summary: 'One CSV row per recognized image',
      description: 'The original\'s columns `filename,top_prediction,confidence,all_predictions`, written as Python\'s csv module '
        + 'writes them (CRLF, fields with commas, quotes or line breaks quoted, quotes doubled), streamed page by page, as '
        + 'results.csv. Processed images only unless include_unprocessed=true; extended=true adds Argus\'s columns after the '
        + 'original\'s. 404 when there is nothing to export. A field beginning with =, +, - or @ gets a leading \' so that '
        + 'spreadsheets do not run it as a formula.',
      querystring: Type.Object({ include_unprocessed: Type.Boolean({ default: false }), extended: Type.Boolean({ default: false }) }),
      response: { 200: { description: 'text/csv' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const owner = ownerOf(request);
    const query = request.query as { include_unprocessed: boolean; extended: boolean };
    const filter = query.include_unprocessed ? { owner } : { processed: true, owner };
    if ((await files.count(filter)) === 0) throw errors.nothingToExport();
    const rows = Readable.from((async function* () {
      for await (const file of files.each(filter)) yield csvRow(file);
    })(), { objectMode: true });
    const columns = query.extended ? [...COLUMNS, ...EXTENDED] : [...COLUMNS];
    // Python quotes a field with a lone line break too; csv-stringify, given CRLF records, would not.
    const csv = stringify({ header: true, columns, record_delimiter: 'windows', quoted_match: /[\r\n]/, escape_formulas: true });
    // A failing page ends the download early (the client sees a cut response), and is logged.
    rows.on('error', (error) => {
      request.log.error({ err: error }, 'CSV export failed while streaming');
      csv.destroy(error);
    });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename=results.csv')
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
    const html = renderReport({ stats: statsView(data.stats), labels: data.stats.labels, recent: data.recent, recognizer: data.recognizer, generatedAt: new Date() });
    return reply
      .type('text/html; charset=utf-8')
      // Everything is inline: no script, styles and data: images only.
      .header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
      .send(html);
  });
};
