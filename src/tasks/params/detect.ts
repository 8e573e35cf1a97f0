/** Parameters and result of the `detect` task. */
import Type, { type Static } from 'typebox';
import type { Box } from './box.js';

export const DetectParams = Type.Object(
  {
    conf: Type.Number({ minimum: 0, maximum: 1, default: 0.25, description: 'Minimum confidence.' }),
    iou: Type.Number({ minimum: 0, maximum: 1, default: 0.45, description: 'IoU above which NMS drops the weaker box of a class.' }),
    max_det: Type.Integer({ minimum: 1, maximum: 3000, default: 300, description: 'Most detections returned.' }),
    // Integer first: with type coercion, a numeric string becomes an id rather than a name.
    classes: Type.Optional(Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })]), {
      maxItems: 1000,
      description: 'Only these classes, by name or id.',
    })),
  },
  { additionalProperties: false },
);
export type DetectParams = Static<typeof DetectParams>;

export interface Detection {
  label: string;
  class_id: number;
  confidence: number;
  box: Box;
}

export interface DetectOutput {
  width: number;
  height: number;
  detections: Detection[];
}
