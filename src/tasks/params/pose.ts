/** Parameters and result of the `pose` task. */
import Type, { type Static } from 'typebox';
import type { Box } from './box.js';

/** The 17 COCO keypoints in MoveNet's output order. */
export const COCO_KEYPOINTS = [
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
  'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
] as const;

export const PoseParams = Type.Object(
  {
    conf: Type.Number({ minimum: 0, maximum: 1, default: 0.2, description: 'Minimum pose score (the mean of its 17 keypoint scores).' }),
    // @vladmandic/human's own default for CenterNet; at 0.3 it misses the man at the left of zidane.jpg (0.2–0.3).
    person_conf: Type.Number({ minimum: 0, maximum: 1, default: 0.2, description: 'Minimum confidence of the person detector.' }),
    max_people: Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'Most people returned (the detector\'s most confident first).' }),
  },
  { additionalProperties: false },
);
export type PoseParams = Static<typeof PoseParams>;

export interface Keypoint {
  name: (typeof COCO_KEYPOINTS)[number];
  x: number;
  y: number;
  score: number;
}

export interface Person {
  /** The detector's person box; for a whole-frame pose, the extent of the keypoints scoring ≥ 0.3 (absent if none does). */
  box?: Box;
  score: number;
  keypoints: Keypoint[];
}

export interface PoseOutput {
  width: number;
  height: number;
  people: Person[];
}
