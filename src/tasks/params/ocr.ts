/** Parameters and result of the `ocr` task. */
import Type, { type Static } from 'typebox';

export const OcrParams = Type.Object(
  {
    min_confidence: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Lines recognised with a lower mean character probability are dropped (PaddleOCR drop_score).' }),
    max_side: Type.Integer({ minimum: 32, maximum: 4096, default: 960, description: 'The text detector sees the image shrunk to at most this longer side; larger finds smaller print, slower (PaddleOCR det_limit_side_len).' }),
    min_side: Type.Integer({ minimum: 0, maximum: 4096, default: 0, description: 'Enlarge smaller images to at least this shorter side first (0 = never); helps low-resolution photos of text, at a cost.' }),
  },
  { additionalProperties: false },
);
export type OcrParams = Static<typeof OcrParams>;

export interface OcrLine {
  text: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
  /** The rotated quadrilateral around the line: top-left, top-right, bottom-right, bottom-left. */
  polygon: Array<[number, number]>;
}

export interface OcrOutput {
  width: number;
  height: number;
  /** Every line in reading order: lines on one row joined by a space, rows by a newline. */
  text: string;
  lines: OcrLine[];
}
