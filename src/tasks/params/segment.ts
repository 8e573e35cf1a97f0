/** Parameters and result of the `segment` task. */
import Type, { type Static } from 'typebox';
import type { Box } from './box.js';

export const SegmentParams = Type.Object(
  {
    threshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'Person probability from which a pixel belongs to the mask.',
    }),
  },
  { additionalProperties: false },
);
export type SegmentParams = Static<typeof SegmentParams>;

export interface SegmentOutput {
  width: number;
  height: number;
  /** Base64 PNG, single channel, `width × height`: 255 person, 0 background. */
  mask: string;
  /** Tightest box around the mask (x2, y2 exclusive), or null when nobody is found. */
  box: Box | null;
  /** Share of the image the mask covers, 0–1. */
  coverage: number;
  threshold: number;
}
