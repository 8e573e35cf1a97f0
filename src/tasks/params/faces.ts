/** Parameters and result of the `faces` task, and the face attributes it may add. */
import Type, { type Static } from 'typebox';

export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export interface FaceAttributes {
  age: number;
  gender: 'female' | 'male';
  /** How sure the gender is, 0–1: twice the sigmoid's distance from 0.5. */
  gender_confidence: number;
  /** The most likely emotion. */
  emotion: Emotion;
  /** Probability of each emotion. */
  emotions: Record<Emotion, number>;
  /** FaceRes's 1024-d descriptor, unnormalised, as Human's similarity expects it. */
  embedding: number[];
}

export const FacesParams = Type.Object(
  {
    // In-focus faces in ../shared/images score 0.85–0.95; a blurred spectator behind zidane.jpg scores 0.70.
    conf: Type.Number({ minimum: 0, maximum: 1, default: 0.75, description: 'Minimum face score.' }),
    iou: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'IoU above which NMS drops the weaker of two faces.' }),
    max_faces: Type.Integer({ minimum: 1, maximum: 1000, default: 200, description: 'Most faces returned (highest scores first).' }),
    max_side: Type.Integer({ minimum: 32, maximum: 4096, default: 640, description: 'The detector sees the image shrunk to at most this longer side; larger finds smaller faces, slower.' }),
    attributes: Type.Boolean({ default: false, description: 'Also estimate age, gender and emotion and return a face embedding for each face.' }),
  },
  { additionalProperties: false },
);
export type FacesParams = Static<typeof FacesParams>;

export interface Face extends Partial<FaceAttributes> {
  box: { x1: number; y1: number; x2: number; y2: number };
  confidence: number;
  /** Right eye, left eye, nose tip, right and left mouth corner (the person's own sides), in image pixels. */
  landmarks: Array<[number, number]>;
}

export interface FacesOutput {
  width: number;
  height: number;
  faces: Face[];
}
