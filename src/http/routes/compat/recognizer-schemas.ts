/** Shapes of the car recognizer's API (routes in recognizer.ts and recognizer-visualization.ts). */
import Type from 'typebox';
import { ModelRef } from '../../schemas.js';

export const ImageIdParams = Type.Object({ image_id: Type.Integer({ minimum: 1, description: 'The image_id upload answered.' }) });

export const Prediction = Type.Object({
  label: Type.String(),
  confidence: Type.Number(),
  class_id: Type.Integer({ description: 'Index in the model\'s labels (or in the label set, zero-shot).' }),
});

export const FileInfo = Type.Object({
  image_id: Type.Integer(),
  filename: Type.String({ description: 'The name the client gave, as it was.' }),
  content_type: Type.String({ description: 'From the content: image/jpeg or image/png.' }),
  size: Type.Integer({ description: 'Bytes.' }),
  width: Type.Integer(),
  height: Type.Integer(),
  sha256: Type.String(),
  uploaded_at: Type.String({ format: 'date-time' }),
  processed: Type.Boolean(),
  processed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  model: Type.Union([ModelRef, Type.Null()], { description: 'The model that recognized it.' }),
  label_set: Type.Union([Type.String(), Type.Null()], { description: 'The label set of a zero-shot model (e.g. stanford-cars).' }),
  top_prediction: Type.Union([Prediction, Type.Null()]),
  predictions: Type.Array(Prediction, { description: 'Best first; empty until recognized.' }),
});

export const Uploaded = Type.Object({ ...FileInfo.properties, message: Type.String() });

export const BatchUploaded = Type.Object({
  uploaded: Type.Array(FileInfo),
  failed: Type.Array(Type.Object({ filename: Type.String(), code: Type.String(), message: Type.String(), status: Type.Integer() })),
  total: Type.Integer(),
  succeeded: Type.Integer(),
});

export const RecognitionResult = Type.Object({
  image_id: Type.Integer(),
  filename: Type.String(),
  predictions: Type.Array(Prediction),
  top_prediction: Type.Union([Prediction, Type.Null()]),
  model: ModelRef,
  label_set: Type.Union([Type.String(), Type.Null()]),
  timings: Type.Record(Type.String(), Type.Number(), { description: 'Milliseconds per stage, as the recognition reported them.' }),
  processed_at: Type.String({ format: 'date-time' }),
  cached: Type.Boolean({ description: 'true: the stored recognition (POST /files/{image_id}/reprocess to compute it again).' }),
});

export const BatchBody = Type.Object({
  image_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000, description: 'Stored images to recognize.' }),
});

export const BatchResult = Type.Object({
  model: ModelRef,
  results: Type.Array(RecognitionResult),
  errors: Type.Array(Type.Object({ image_id: Type.Integer(), code: Type.String(), message: Type.String() })),
});

export const BatchAccepted = Type.Object({
  job_id: Type.String(),
  status: Type.String(),
  total: Type.Integer({ description: 'Distinct image ids in the batch.' }),
  status_url: Type.String({ description: 'GET it for progress ({done, total}) and, when done, the same result as a small batch.' }),
});

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  processed: Type.Optional(Type.Boolean({ description: 'true: recognized images only; false: not yet recognized.' })),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Top prediction equal to this label (case-insensitive).' })),
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Uploaded at or after: ISO date or date-time.' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Uploaded before: ISO date or date-time.' })),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc', description: 'By image_id.' }),
});

export const FileList = Type.Object({
  items: Type.Array(FileInfo),
  total: Type.Integer({ description: 'Images matching the filters.' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const Stats = Type.Object({
  total_files: Type.Integer(),
  processed: Type.Integer(),
  unprocessed: Type.Integer(),
  predictions_per_label: Type.Array(Type.Object({ label: Type.String(), count: Type.Integer() }), { description: 'Recognized images per top label, most first.' }),
  confidence_histogram: Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), count: Type.Integer() }), { description: 'Top-prediction confidences in ten bins.' }),
  mean_inference_ms: Type.Union([Type.Number(), Type.Null()]),
  models: Type.Array(Type.Object({ model: Type.String(), count: Type.Integer() })),
});
