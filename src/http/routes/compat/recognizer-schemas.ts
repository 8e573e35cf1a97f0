/**
 * Shapes of the car recognizer's API (routes in recognizer.ts and recognizer-visualization.ts):
 * the original's models/schemas.py field for field — `Prediction`, `ImageMetadata`,
 * `UploadResponse`, `InferenceResponse`, `StatsResponse` — with Argus's extra fields after them.
 * A bare JSON array in the original stays a bare array here.
 */
import Type from 'typebox';
import { MAX_BATCH_IDS } from '../../../features/files/service.js';
import { ModelRef } from '../../schemas.js';

/** Any integer, as the original's `image_id: int`: 0 or -1 is a 404, not a validation error. */
export const ImageIdParams = Type.Object({ image_id: Type.Integer({ description: 'The id upload answered.' }) });

const Time = (description: string) => Type.String({ format: 'date-time', description });

export const Prediction = Type.Object({
  label: Type.String(),
  confidence: Type.Number({ description: 'Rounded to 4 places.' }),
  class_id: Type.Integer({ description: 'Index in the model\'s labels (or in the label set, zero-shot).' }),
});

/** The original's `ImageMetadata`, then Argus's extras. */
export const ImageMetadata = Type.Object({
  id: Type.Integer(),
  filename: Type.String({ description: 'The name the client gave, as it was.' }),
  path: Type.String({ description: 'Where the stored bytes can be fetched: /files/{id}/content.' }),
  upload_date: Time('UTC, as Python writes it: 2026-02-24T21:36:25.123000+00:00.'),
  processed: Type.Boolean(),
  results: Type.Union([Type.Array(Prediction), Type.Null()], { description: 'Best first; null until recognized.' }),
  mime_type: Type.String({ description: 'From the content: image/jpeg or image/png.' }),
  size_bytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  sha256: Type.String(),
  processed_at: Type.Union([Time('When it was recognized.'), Type.Null()]),
  model: Type.Union([ModelRef, Type.Null()], { description: 'The model that recognized it.' }),
  label_set: Type.Union([Type.String(), Type.Null()], { description: 'The label set of a zero-shot model (e.g. stanford-cars).' }),
});

/** The original's `UploadResponse`; a batch adds `failed`, the files it refused and why. */
export const UploadResponse = Type.Object({
  message: Type.String(),
  files: Type.Array(ImageMetadata),
});

export const BatchUploadResponse = Type.Object({
  ...UploadResponse.properties,
  failed: Type.Array(Type.Object({ filename: Type.String(), code: Type.String(), message: Type.String(), status: Type.Integer() })),
});

/** The original's `InferenceResponse`, then Argus's extras. */
export const InferenceResponse = Type.Object({
  id: Type.Integer(),
  filename: Type.String(),
  predictions: Type.Array(Prediction, { description: 'Best first.' }),
  model: ModelRef,
  label_set: Type.Union([Type.String(), Type.Null()]),
  timings: Type.Record(Type.String(), Type.Number(), { description: 'Milliseconds per stage, as the recognition reported them.' }),
  processed_at: Time('When it was recognized.'),
  cached: Type.Boolean({ description: 'true: the stored recognition (POST /files/{image_id}/reprocess to compute it again).' }),
});

/** The original's body: a bare JSON list of ids (`[1, 2, 3]`). */
export const BatchBody = Type.Array(Type.Integer(), { maxItems: MAX_BATCH_IDS, description: 'Stored images to recognize.' });

export const BatchAccepted = Type.Object({
  job_id: Type.String(),
  status: Type.String(),
  total: Type.Integer({ description: 'Distinct image ids in the batch.' }),
  status_url: Type.String({ description: 'GET it for progress ({done, total}) and, when done, the result.' }),
});

/** An ISO date or date-time (checked again when read: 2026-13-45 matches this but is no date). */
const DATE = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** Argus's filters and paging; without any, every stored image, as the original listed them. */
export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Most images answered (default: all; x-total-count says how many match).' })),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  processed: Type.Optional(Type.Boolean({ description: 'true: recognized images only; false: not yet recognized.' })),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Top prediction equal to this label (case-insensitive).' })),
  from: Type.Optional(Type.String({ pattern: DATE, description: 'Uploaded at or after: ISO date or date-time.' })),
  to: Type.Optional(Type.String({ pattern: DATE, description: 'Uploaded before: ISO date or date-time.' })),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc', description: 'By id.' }),
});

export const FileList = Type.Array(ImageMetadata);

/** The original's `StatsResponse`, then Argus's extras. */
export const Stats = Type.Object({
  total_files: Type.Integer(),
  processed_files: Type.Integer(),
  unprocessed_files: Type.Integer(),
  top_brands: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() }), { description: 'The 10 most frequent top labels, most first.' }),
  confidence_histogram: Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), count: Type.Integer() }), { description: 'Top-prediction confidences in ten bins.' }),
  mean_inference_ms: Type.Union([Type.Number(), Type.Null()]),
  models: Type.Array(Type.Object({ model: Type.String(), count: Type.Integer() })),
});
