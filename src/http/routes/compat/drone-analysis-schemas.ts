/**
 * The drone/CCTV analysis service's request and response shapes (its `schemas.py`, pydantic 2),
 * as JSON Schema. Field names, types and nullability are the original's; `error_message` is the
 * one addition (the original's later versions added the same field).
 */
import Type from 'typebox';

/**
 * What pydantic's `datetime` took: an ISO 8601 date or date-time (with `T`, `t`, `_` or a space,
 * with or without an offset), or a Unix time as a number or a numeric string.
 */
const DATETIME = '^(\\d{4}-\\d{2}-\\d{2}([Tt_ ]\\d{2}:\\d{2}(:\\d{2}([.,]\\d{1,9})?)?([Zz]|[+-]\\d{2}(:?\\d{2})?)?)?|[+-]?\\d+(\\.\\d+)?)$';

/**
 * `AnalyzeRequest`. The original's strings had no length limit; these limits are Argus's (ids are
 * kept with the job) and well above anything a client sends. `image_base64` is bounded by the body limit.
 */
export const DroneAnalyzeRequest = Type.Object({
  request_id: Type.String({ maxLength: 4096, description: "The client's id for the request; kept with the result (GET /v1/result/{id} returns it)." }),
  image_id: Type.String({ maxLength: 4096, description: 'The image\'s name, e.g. "base/base_001.jpg"; "emergency" in it picks the analyze.emergency queue (async).' }),
  image_base64: Type.String({ description: 'The image (JPEG, PNG, WebP, GIF or TIFF), base64.' }),
  requested_at: Type.Optional(Type.Union([Type.String({ pattern: DATETIME }), Type.Number()], { description: 'ISO 8601 date-time; accepted and not used, as in the original.' })),
});

/** A body is the original's, not the native one, when it names any of the original's fields and neither `image` nor `url`. */
export const DRONE_FIELDS = ['request_id', 'image_id', 'image_base64'] as const;

/** The original's six labels. */
export const DroneLabel = Type.Enum(['person', 'vehicle', 'fire', 'smoke', 'accident', 'unknown'] as const, {
  description: 'person (COCO person); vehicle (car, motorcycle, bus, truck); fire, smoke, accident (only from a model with such classes); unknown (anything else).',
});

/** `DetectedObject`. */
export const DetectedObject = Type.Object({
  label: DroneLabel,
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  bbox_xyxy: Type.Union([Type.Array(Type.Integer(), { minItems: 4, maxItems: 4 }), Type.Null()], { description: '[x1, y1, x2, y2] in image pixels, truncated to integers as the original did.' }),
});

/** `AnalyzeResult`. */
export const AnalyzeResult = Type.Object({
  result_id: Type.String({ description: 'The analysis id for GET /v1/result/{id}: an Argus job id (the original: a SQLite integer as a string).' }),
  image_id: Type.String(),
  risk_level: Type.Enum(['high', 'normal'] as const, { description: 'high when an object is fire, smoke or accident; else normal.' }),
  objects: Type.Array(DetectedObject),
  caption: Type.String({ description: "Argus's description sentence (the original: a BLIP caption of the most confident box)." }),
});

const ErrorCode = Type.Union([Type.String(), Type.Null()], { description: 'null when ok; "INTERNAL_ERROR: <name>" (analyze), "INTERNAL_ERROR" (result_async), "NOT_FOUND" (result).' });
const ErrorMessage = Type.Union([Type.String(), Type.Null()], { description: "Argus's reason when ok is false (an addition; the original's later versions have it too)." });

/** `AnalyzeResponse`: POST /v1/analyze with the original's body, and GET /v1/result_async/{task_id}. */
export const DroneAnalyzeResponse = Type.Object({
  response_id: Type.String({ description: 'A new UUID per answer.' }),
  ok: Type.Boolean(),
  result: Type.Union([AnalyzeResult, Type.Null()]),
  error_code: ErrorCode,
  error_message: ErrorMessage,
});

/** `AnalyzeAsyncResponse`. */
export const DroneAsyncResponse = Type.Object({
  response_id: Type.String(),
  ok: Type.Boolean(),
  task_id: Type.String({ description: 'Poll GET /v1/result_async/{task_id}; also the result id once it is done.' }),
  queue: Type.Enum(['analyze.emergency', 'analyze.default'] as const, { description: 'analyze.emergency when "emergency" is in image_id. Echoed: Argus runs jobs in arrival order.' }),
  error_code: ErrorCode,
  error_message: ErrorMessage,
});

/** GET /v1/result/{analysis_id}: the stored analysis, or NOT_FOUND (still 200, as the original). */
export const DroneStoredResult = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    data: Type.Object({
      analysis_id: Type.String({ description: 'The original: an integer.' }),
      request_id: Type.String(),
      risk_level: Type.Enum(['high', 'normal'] as const),
      objects: Type.Array(DetectedObject),
      caption: Type.String(),
      created_at: Type.String({ description: 'When the analysis finished, "YYYY-MM-DD HH:MM:SS" UTC as SQLite wrote it.' }),
      image_id: Type.String(),
      image_path: Type.Null({ description: 'Argus does not keep the image after the analysis (the original stored it under storage/images/).' }),
      image_sha256: Type.String(),
    }),
  }),
  Type.Object({ ok: Type.Literal(false), error_code: Type.Literal('NOT_FOUND') }),
]);
