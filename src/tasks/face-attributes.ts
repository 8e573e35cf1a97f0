/**
 * Age, gender, emotion and a face embedding from the tfjs models inside `@vladmandic/human`
 * (FaceRes: HSE-FaceRes, 224² RGB 0–255 → gender sigmoid, 100 age bins, 1024-d descriptor;
 * emotion: oarriaga's 64² greyscale classifier), pre- and post-processed as Human does
 * (src/face/faceres.ts, src/gear/emotion.ts).
 */
import type { RuntimeSession, TensorData } from '../runtimes/types.js';
import type { Box } from '../vision/letterbox.js';
import { cropResizeRaw, type RawImage } from '../vision/raw.js';
import { EMOTIONS, type Emotion, type FaceAttributes } from './params/faces.js';
import { round4 } from '../numbers.js';
import type { StageTimer } from './timing.js';

const FACERES_SIZE = 224;
const EMOTION_SIZE = 64;
/**
 * Human crops its face models' input from BlazeFace's box enlarged 1.4× and squared. YuNet's box
 * is taller (hairline to chin), so a smaller factor gives about the same crop. Not tuned on
 * labelled data: none is available here.
 */
export const FACE_CROP_SCALE = 1.2;

/** The square crop around a detected face that the attribute models see. */
export function attributeCrop(box: Box, scale = FACE_CROP_SCALE): Box {
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const half = (Math.max(box.x2 - box.x1, box.y2 - box.y1) * scale) / 2;
  return { x1: cx - half, y1: cy - half, x2: cx + half, y2: cy + half };
}

/** Human's age from FaceRes's 100 softmax bins (one per year): the best bin, moved toward its stronger neighbour by 10× that neighbour's probability. */
export function ageFromBins(bins: Float32Array): number {
  let best = 0;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  const before = bins[best - 1] ?? 0;
  const after = bins[best + 1] ?? 0;
  return Math.round(before > after ? 10 * best - 100 * before : 10 * best + 100 * after) / 10;
}

export interface AttributeModels {
  faceres: RuntimeSession;
  emotion: RuntimeSession;
}

/** Runs both attribute models on one face, charging its preparation and inference to `clock`. */
export async function faceAttributes(image: RawImage, face: Box, models: AttributeModels, clock: StageTimer): Promise<FaceAttributes> {
  clock.restart();
  const region = attributeCrop(face);
  const crop = await cropResizeRaw(image, region, FACERES_SIZE, FACERES_SIZE);
  const small = await cropResizeRaw(image, region, EMOTION_SIZE, EMOTION_SIZE);
  const rgb = Float32Array.from(crop.data);
  // Human: greyscale with Rec. 601 weights on 0–1 values, then (g − 0.5) · 2.
  const grey = new Float32Array(EMOTION_SIZE * EMOTION_SIZE);
  for (let i = 0; i < grey.length; i++) {
    const g = (0.2989 * small.data[3 * i] + 0.587 * small.data[3 * i + 1] + 0.114 * small.data[3 * i + 2]) / 255;
    grey[i] = (g - 0.5) * 2;
  }
  const faceresFeeds: Record<string, TensorData> = { [models.faceres.inputs[0].name]: { type: 'float32', data: rgb, dims: [1, FACERES_SIZE, FACERES_SIZE, 3] } };
  const emotionFeeds: Record<string, TensorData> = { [models.emotion.inputs[0].name]: { type: 'float32', data: grey, dims: [1, EMOTION_SIZE, EMOTION_SIZE, 1] } };
  clock.lap('preprocess');
  const described = await models.faceres.run(faceresFeeds);
  const felt = await models.emotion.run(emotionFeeds);
  clock.lap('inference');

  // FaceRes's outputs are told apart by size, as Human does: 1 (gender), 100 (age), 1024 (descriptor).
  const bySize = (n: number) => Object.values(described).find((t) => t.data.length === n)?.data as Float32Array | undefined;
  const gender = bySize(1);
  const ages = bySize(100);
  const descriptor = bySize(1024);
  if (!gender || !ages || !descriptor) throw new Error('the FaceRes model did not return gender, age and descriptor outputs');
  const probabilities = Object.values(felt)[0]?.data as Float32Array | undefined;
  if (!probabilities || probabilities.length !== EMOTIONS.length) throw new Error(`the emotion model returned ${probabilities?.length ?? 0} scores, not ${EMOTIONS.length}`);
  const emotions = Object.fromEntries(EMOTIONS.map((e, i) => [e, round4(probabilities[i])])) as Record<Emotion, number>;
  const top = EMOTIONS.reduce((a, b) => (emotions[b] > emotions[a] ? b : a));
  return {
    age: ageFromBins(ages),
    gender: gender[0] <= 0.5 ? 'female' : 'male',
    gender_confidence: round4(Math.min(1, 2 * Math.abs(gender[0] - 0.5))),
    emotion: top,
    emotions,
    embedding: Array.from(descriptor, round4),
  };
}
