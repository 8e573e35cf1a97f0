/** Parameters and result of the `classify` task. */
import Type, { type Static } from 'typebox';

/** One class and its confidence. */
export interface Prediction {
  label: string;
  class_id: number;
  confidence: number;
}

export const ClassifyParams = Type.Object(
  {
    top_k: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'How many classes to return, best first.' }),
    labels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
      minItems: 2,
      maxItems: 256,
      description: 'Zero-shot (CLIP-style models only): the candidate labels, as whole prompts ("a photo of a cat").',
    })),
  },
  { additionalProperties: false },
);
export type ClassifyParams = Static<typeof ClassifyParams>;

export interface ClassifyOutput {
  predictions: Prediction[];
}
