import Type, { type Static } from 'typebox';
import { errors } from '../../errors.js';
import { round2 } from '../../numbers.js';
import type { FeatureDeps } from '../deps.js';
import type { CompositeCall, ImageInput, ResultTimings } from '../../service/inference.js';

/** FaceRes descriptors have 1024 values. */
export const FACE_EMBEDDING_DIM = 1024;

export const FaceCompareParams = Type.Object(
  {
    // Measured here: 36 pairs of different people (../shared/images) score 0.12–0.56, the same face
    // flipped, cropped, shrunk or re-encoded 0.94–1. Human suggests 0.5; 0.6 clears every pair seen.
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.6, description: 'Similarity at or above which the two faces count as the same person.' }),
    embeddings: Type.Optional(Type.Array(Type.Array(Type.Number(), { minItems: FACE_EMBEDDING_DIM, maxItems: FACE_EMBEDDING_DIM }), {
      minItems: 1,
      maxItems: 2,
      description: 'Face embeddings kept from earlier /v1/faces answers (attributes: true), compared instead of (or with) images.',
    })),
    conf: Type.Number({ minimum: 0, maximum: 1, default: 0.75, description: 'Minimum face score in each image.' }),
  },
  { additionalProperties: false },
);
export type FaceCompareParams = Static<typeof FaceCompareParams>;

/**
 * `@vladmandic/human`'s face similarity (src/face/match.ts, its defaults): Euclidean distance of
 * the FaceRes descriptors scaled by 25, its root mapped from 0.2–0.8 onto 0–1 and clamped.
 * Human documents 0.5 as the point above which two faces can be taken for the same person.
 */
export function faceSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw errors.invalidParams(`The embeddings differ in length (${a.length} and ${b.length}).`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  const distance = Math.round(100 * 25 * sum) / 100;
  if (distance === 0) return 1;
  const normalised = (1 - Math.sqrt(distance) / 100 - 0.2) / (0.8 - 0.2);
  return round2(Math.min(1, Math.max(0, normalised)));
}

interface ComparedFace {
  source: 'image' | 'embedding';
  box?: { x1: number; y1: number; x2: number; y2: number };
  confidence?: number;
  embedding: number[];
}

type FaceResult = { box: NonNullable<ComparedFace['box']>; confidence: number; embedding?: number[] };

const TASK_NAME = 'faces-compare';

/**
 * `faces-compare`: the similarity of two faces, each from an image (its largest face, the subject
 * of a portrait, is taken) or from an embedding a client kept from an earlier `/v1/faces` answer.
 * Images run through the `faces` task with attributes, so compare works wherever faces does:
 * synchronously, as an async job (one image + one embedding, or two embeddings) and from the CLI.
 */
export function registerFaceCompareTask({ service }: FeatureDeps): void {
  service.registerComposite({
    name: TASK_NAME,
    input: 'images',
    params: FaceCompareParams,
    async run(call: CompositeCall) {
      const params = call.params as FaceCompareParams;
      const images: ImageInput[] = [...(call.image ? [call.image] : []), ...(call.images ?? [])];
      const embeddings = params.embeddings ?? [];
      if (images.length + embeddings.length !== 2) {
        throw errors.badRequest(`Compare takes exactly two faces, as images and/or embeddings; got ${images.length} image(s) and ${embeddings.length} embedding(s).`);
      }
      const timings: Partial<ResultTimings> = { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0, queue_ms: 0 };
      let model = call.model ?? service.defaultModel('faces')?.alias ?? 'none';
      let sha256: string | undefined;
      const faces: ComparedFace[] = [];
      for (const [index, image] of images.entries()) {
        const result = await call.run({ task: 'faces', model: call.model, image, params: { attributes: true, conf: params.conf } });
        model = result.model.alias;
        sha256 = result.model.sha256;
        for (const key of Object.keys(timings) as Array<keyof ResultTimings>) timings[key] = (timings[key] ?? 0) + result.timings[key];
        const found = result.faces as FaceResult[];
        const area = (f: FaceResult) => (f.box.x2 - f.box.x1) * (f.box.y2 - f.box.y1);
        const largest = found.reduce<FaceResult | undefined>((best, f) => (!best || area(f) > area(best) ? f : best), undefined);
        if (!largest?.embedding) throw errors.noFace(images.length === 2 ? `image ${index + 1}` : 'the image');
        faces.push({ source: 'image', box: largest.box, confidence: largest.confidence, embedding: largest.embedding });
      }
      for (const embedding of embeddings) faces.push({ source: 'embedding', embedding });
      const similarity = faceSimilarity(faces[0].embedding, faces[1].embedding);
      return {
        model: { alias: model, ...(sha256 && { sha256 }) },
        similarity,
        same_person: similarity >= params.threshold,
        threshold: params.threshold,
        faces: faces.map(({ embedding: _embedding, ...face }) => face),
        timings,
      };
    },
  });
}
