/**
 * DeepStack / CodeProject.AI Server shapes: form fields in, `{"success": true, …}` out. Translation
 * only: boxes to integer corners, results sorted by confidence, CodeProject.AI's timing fields.
 */
import Type, { type TSchema } from 'typebox';
import type { TaskResult } from '../../../service/inference.js';
import { FileField } from '../../schemas.js';
import { UploadedFile } from '../../uploads.js';

/** DeepStack's documented default `min_confidence` for object detection (docs: "By default, the minimum confidence for detecting objects is 0.45"). */
export const DETECTION_MIN_CONFIDENCE = 0.45;
/** DeepStack's default `min_confidence` for face detection (server.go `facedetection`: "0.55"). */
export const FACE_MIN_CONFIDENCE = 0.55;

const MinConfidence = (what: string, fallback: number) => Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: `${what} Default ${fallback}.` }));
const ApiKey = Type.Optional(Type.String({ maxLength: 512, description: 'An Argus API key, as DeepStack clients send it (a header works too).' }));

/**
 * A body schema for both kinds of form: fields arrive as text and are coerced to the schema's
 * types (validators.ts coerces every body that declares a non-JSON content type).
 */
const forms = (schema: TSchema) => ({
  content: { 'multipart/form-data': { schema }, 'application/x-www-form-urlencoded': { schema } },
});

/** A form with one image: `image`, `min_confidence`, `api_key`. */
export const ImageForm = (what: string, fallback: number) => forms(Type.Object({
  image: FileField('The image.'),
  min_confidence: MinConfidence(what, fallback),
  api_key: ApiKey,
}));

/**
 * A form of fields (list, delete; DeepStack's Python examples send these url-encoded), or of fields
 * and any number of files under any names (register, match: DeepStack read every `form.File`).
 */
export const Form = (fields: Record<string, TSchema> = {}) => forms(Type.Object({ ...fields, api_key: ApiKey }));

const Corners = {
  x_min: Type.Integer(), y_min: Type.Integer(), x_max: Type.Integer(), y_max: Type.Integer(),
};

/** CodeProject.AI's fields around a module's answer (ModuleResponse in its SDK). */
const Module = {
  success: Type.Literal(true),
  message: Type.Optional(Type.String()),
  count: Type.Optional(Type.Integer()),
  command: Type.Optional(Type.String()),
  moduleId: Type.Optional(Type.String({ description: 'The Argus model that answered.' })),
  moduleName: Type.Optional(Type.String()),
  inferenceMs: Type.Optional(Type.Integer()),
  processMs: Type.Optional(Type.Integer({ description: 'Decode, pre-processing, inference and post-processing.' })),
  analysisRoundTripMs: Type.Optional(Type.Integer({ description: 'The whole request inside Argus.' })),
};

export const DetectionResponse = Type.Object({
  ...Module,
  predictions: Type.Array(Type.Object({ label: Type.String(), confidence: Type.Number(), ...Corners }), { description: 'Highest confidence first.' }),
});

export const FaceDetectionResponse = Type.Object({
  ...Module,
  predictions: Type.Array(Type.Object({ confidence: Type.Number(), ...Corners })),
});

export const RecognitionResponse = Type.Object({
  ...Module,
  predictions: Type.Array(Type.Object({ userid: Type.String({ description: 'The registered name, or "unknown".' }), confidence: Type.Number({ description: 'The similarity; 0 for unknown faces, as DeepStack.' }), ...Corners })),
});

export const MessageResponse = Type.Object({ success: Type.Literal(true), message: Type.Optional(Type.String()) });

/** DeepStack's integer corners: Python's `int()` of the float box, which truncates. */
export function corners(box: { x1: number; y1: number; x2: number; y2: number }) {
  return { x_min: Math.trunc(box.x1), y_min: Math.trunc(box.y1), x_max: Math.trunc(box.x2), y_max: Math.trunc(box.y2) };
}

/** Highest confidence first: Frigate stops reading at the first prediction under its threshold. */
export function byConfidence<T extends { confidence: number }>(items: T[]): T[] {
  return [...items].sort((a, b) => b.confidence - a.confidence);
}

/** CodeProject.AI's module fields for a result. */
export function moduleFields(result: TaskResult, command: string, found: string[]) {
  const t = result.timings;
  const shown = found.slice(0, 3).join(', ');
  return {
    message: found.length === 0 ? 'No objects found' : `Found ${shown}${found.length > 3 ? '...' : ''}`,
    count: found.length,
    command,
    moduleId: result.model.alias,
    moduleName: `Argus (${result.model.alias})`,
    inferenceMs: Math.round(t.inference_ms),
    processMs: Math.round(t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms),
    analysisRoundTripMs: Math.round(t.total_ms),
  };
}

/** Every file of a form, whatever its field name, in the order sent (DeepStack registers all of them). */
export function formFiles(body: unknown): UploadedFile[] {
  return Object.values((body ?? {}) as Record<string, unknown>).flat().filter((v): v is UploadedFile => v instanceof UploadedFile);
}
