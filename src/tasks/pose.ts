import type { RuntimeSession, TensorData } from '../runtimes/types.js';
import { COCO80 } from '../vision/coco.js';
import type { Box } from '../vision/letterbox.js';
import { cropResizeRaw, decodeRaw, type RawImage } from '../vision/raw.js';
import { createDetectPipeline } from './detect.js';
import type { DetectOutput, DetectParams } from './params/detect.js';
import { COCO_KEYPOINTS, PoseParams, type Person, type PoseOutput } from './params/pose.js';
import { runPipeline } from './pipeline.js';
import { requireImage, type InputSpec, type ModelContext, type Pipeline, type TaskDefinition, type TaskRunner } from './types.js';
import { round2, round4 } from '../numbers.js';
import { StageTimer } from './timing.js';

/** CenterNet from `@vladmandic/human` as catalog/centernet.json describes it. */
const PERSON_DETECTOR_INPUT: InputSpec = { name: 'tower_0/images', width: 512, height: 512, resize: 'stretch', pad: 114, colour: 'rgb', scale: 1, dtype: 'float32', layout: 'nhwc' };
/** MoveNet's crop around a person box: squared and enlarged, as its cropping algorithm keeps the whole body in view. */
const CROP_SCALE = 1.25;
const BOX_KEYPOINT_SCORE = 0.3;

/** A square of side `max(w, h) · scale` centred on `box`. */
export function squareAround(box: Box, scale: number): Box {
  const half = (Math.max(box.x2 - box.x1, box.y2 - box.y1) * scale) / 2;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  return { x1: cx - half, y1: cy - half, x2: cx + half, y2: cy + half };
}

/**
 * Multi-person pose, top-down: CenterNet (`files.detector`, tfjs, the detect task's own pipeline)
 * finds people, then MoveNet SinglePose Lightning runs on a square crop around each, padded with
 * black where it leaves the image, as MoveNet is meant to be fed. Lightning on a whole frame with
 * two people (zidane.jpg) mixes their keypoints into one pose with a score of 0.20; per crop each
 * person gets their own. When the detector finds nobody, MoveNet runs once on the whole frame
 * padded to a square, as `@vladmandic/human` does (movenetfix.ts), and returns at most one pose.
 *
 * MoveNet takes int32 RGB 0–255 and returns y, x (0–1 of its input) and a score per keypoint.
 * Human also swaps left/right keypoints when "left" lies left of "right" in the image; that
 * assumes the person faces the camera, so Argus returns the model's own labels.
 */
export async function createPoseRunner(model: ModelContext): Promise<TaskRunner<PoseParams, PoseOutput>> {
  const { session, loadSession } = model;
  const input = session.inputs[0];
  const output = session.outputs[0].name;
  const [, size, width, channels] = input.shape.map(Number);
  if (input.shape.length !== 4 || channels !== 3 || !(size > 0) || size !== width) {
    throw new Error(`model ${model.alias} is not a single-pose MoveNet: its input is [${input.shape.join(', ')}], not [1, N, N, 3]`);
  }
  if (!model.files?.detector || !loadSession) throw new Error(`model ${model.alias} needs files.detector (a person detector) in its manifest`);
  const detector: RuntimeSession = await loadSession('detector');
  const detect: Pipeline<DetectParams, unknown, DetectOutput> = createDetectPipeline({
    alias: `${model.alias}/detector`, session: detector, input: PERSON_DETECTOR_INPUT, output: { format: 'centernet' }, labels: COCO80, maxPixels: model.maxPixels,
  });
  const tensor = new Int32Array(size * size * 3);

  /** MoveNet on a square region of the image; keypoints in image pixels. */
  async function poseIn(image: RawImage, region: Box, clock: StageTimer): Promise<Person> {
    clock.restart();
    const crop = await cropResizeRaw(image, region, size, size, 0);
    tensor.set(crop.data);
    clock.lap('preprocess');
    const data = (await session.run({ [input.name]: { type: 'int32', data: tensor, dims: [1, size, size, 3] } as TensorData }, [output]))[output].data as Float32Array;
    clock.lap('inference');
    if (data.length !== COCO_KEYPOINTS.length * 3) throw new Error(`MoveNet returned ${data.length} values, expected 17 × 3`);
    const side = region.x2 - region.x1;
    const clip = (v: number, max: number) => round2(Math.min(Math.max(v, 0), max));
    const keypoints = COCO_KEYPOINTS.map((name, i) => ({
      name,
      x: clip(region.x1 + data[3 * i + 1] * side, image.width),
      y: clip(region.y1 + data[3 * i] * side, image.height),
      score: round4(data[3 * i + 2]),
    }));
    clock.lap('postprocess');
    return { score: round4(keypoints.reduce((sum, k) => sum + k.score, 0) / keypoints.length), keypoints };
  }

  return {
    async run(request, params) {
      const found = await runPipeline(detect, detector, request, { conf: params.person_conf, iou: 0.45, max_det: params.max_people, classes: [0] });
      const clock = new StageTimer(found.timings);
      const image = await decodeRaw(requireImage(request), model.maxPixels);
      clock.lap('decode');
      const people: Person[] = [];
      for (const { box } of found.output.detections) {
        const person = await poseIn(image, squareAround(box, CROP_SCALE), clock);
        if (person.score >= params.conf) people.push({ box, ...person });
      }
      if (found.output.detections.length === 0) {
        const whole = await poseIn(image, squareAround({ x1: 0, y1: 0, x2: image.width, y2: image.height }, 1), clock);
        const sure = whole.keypoints.filter((k) => k.score >= BOX_KEYPOINT_SCORE);
        const box = sure.length
          ? { x1: Math.min(...sure.map((k) => k.x)), y1: Math.min(...sure.map((k) => k.y)), x2: Math.max(...sure.map((k) => k.x)), y2: Math.max(...sure.map((k) => k.y)) }
          : undefined;
        if (whole.score >= params.conf) people.push({ ...(box && { box }), ...whole });
      }
      return { output: { width: image.width, height: image.height, people }, timings: clock.timings() };
    },
  };
}

export const poseTask: TaskDefinition<PoseParams, PoseOutput> = {
  name: 'pose',
  input: 'image',
  // A person under 32 px tall gives MoveNet nothing to place keypoints on.
  minImageSide: 32,
  params: PoseParams,
  createPipeline: createPoseRunner,
};
