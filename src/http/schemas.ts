import Type, { type TSchema } from 'typebox';

/** `{"error": {"code", "message", "details"?}}`: every error Argus answers. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable, machine-readable code, e.g. unsupported_media_type.' }),
      message: Type.String({ description: 'What went wrong and what to do about it.' }),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', description: 'An error.' },
);

/** Responses every route can give besides its success: the shared error shape for 4xx and 5xx. */
export const errorResponses = {
  '4xx': Type.Ref('ErrorResponse'),
  '5xx': Type.Ref('ErrorResponse'),
};

export const Box = Type.Object(
  { x1: Type.Number(), y1: Type.Number(), x2: Type.Number(), y2: Type.Number() },
  { description: 'Corners in original-image pixels.' },
);

export const ModelRef = Type.Object({
  alias: Type.String(),
  sha256: Type.Optional(Type.String({ description: 'sha256 of the model file that answered.' })),
});

export const Timings = Type.Object(
  {
    decode_ms: Type.Number(),
    preprocess_ms: Type.Number(),
    inference_ms: Type.Number(),
    postprocess_ms: Type.Number(),
    queue_ms: Type.Number({ description: 'Waiting for a worker (and, for jobs, in the queue).' }),
    total_ms: Type.Number(),
  },
  { description: 'Milliseconds per stage.' },
);

/** A multipart file field (validated by the `x-file` keyword, documented as binary). */
export const FileField = (description: string): TSchema => ({ 'x-file': true, description }) as unknown as TSchema;

/** Image as JSON: base64 or a data URL. */
export const Base64Image = Type.String({ minLength: 1, description: 'The image as base64 or a data URL (data:image/jpeg;base64,…).' });
