/**
 * Stored images, recognitions and statistics as the car recognizer's API shows them: the
 * original's field names and types (`ImageMetadata`, `InferenceResponse`, `StatsResponse` in its
 * models/schemas.py), with Argus's extra fields after them. The files service returns stored
 * files; only its compatibility routes (recognizer.ts, recognizer-visualization.ts and the report)
 * write them in these shapes.
 */
import { round2 } from '../../../numbers.js';
import type { Recognized } from '../../../features/files/service.js';
import type { FileStats, StoredFile } from '../../../store/files.js';

/**
 * A time as Python's `datetime.isoformat()` writes an aware one: microseconds and `+00:00`
 * (`2026-02-24T21:36:25.123000+00:00`). The original wrote naive local time; an explicit UTC
 * offset keeps the instant, and `datetime.fromisoformat` (Python 3.7+), pydantic and JavaScript's
 * Date all read this form, where Python before 3.11 refuses a trailing `Z`.
 */
export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000+00:00`;
}

/** Where a stored image's bytes can be fetched (the original's `path` was its server-side file, uploads/<name>). */
export const contentPath = (id: number) => `/files/${id}/content`;

/** A stored image: the original's `ImageMetadata`, then Argus's extras. */
export function fileView(file: StoredFile) {
  const r = file.recognition;
  return {
    id: file.id,
    filename: file.filename,
    path: contentPath(file.id),
    upload_date: isoTime(file.uploadedAt),
    processed: r !== undefined,
    results: r ? r.predictions : null,
    mime_type: file.contentType,
    size_bytes: file.sizeBytes,
    width: file.width,
    height: file.height,
    sha256: file.sha256,
    processed_at: r ? isoTime(r.processedAt) : null,
    model: r ? r.model : null,
    label_set: r?.labelSet ?? null,
  };
}

/**
 * A recognition: the original's `InferenceResponse` (`id`, `filename`, `predictions`), then
 * Argus's extras (`cached`: it was stored already, nothing was computed).
 */
export function recognitionView({ file, cached }: Recognized) {
  const r = file.recognition;
  return {
    id: file.id,
    filename: file.filename,
    predictions: r.predictions,
    model: r.model,
    label_set: r.labelSet ?? null,
    timings: r.timings,
    processed_at: isoTime(r.processedAt),
    cached,
  };
}

/** Labels `top_brands` lists, as the original's `Counter.most_common(10)`. */
const TOP_BRANDS = 10;

/** Statistics: the original's `StatsResponse`, then Argus's extras. */
export function statsView(stats: FileStats) {
  return {
    total_files: stats.total,
    processed_files: stats.processed,
    unprocessed_files: stats.total - stats.processed,
    top_brands: stats.labels.slice(0, TOP_BRANDS),
    confidence_histogram: stats.confidence.map((count, bin) => ({ from: bin / 10, to: (bin + 1) / 10, count })),
    mean_inference_ms: stats.meanInferenceMs === null ? null : round2(stats.meanInferenceMs),
    models: stats.models,
  };
}

export type StatsView = ReturnType<typeof statsView>;
