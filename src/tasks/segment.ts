import { binaryMask } from '../vision/mask.js';
import { floatValues, imageTensorInput } from './image-tensor.js';
import { SegmentParams, type SegmentOutput } from './params/segment.js';
import { requireImage, type ModelContext, type TaskDefinition, type TaskRunner } from './types.js';
import { round4 } from '../numbers.js';
import { StageTimer } from './timing.js';

/**
 * The probability map's size from the model's output dims: [1, H, W, 1] (NHWC, as MediaPipe
 * Selfie), [1, H, W] or [1, 1, H, W]. Any other shape is a model this task cannot read.
 */
function mapSize(alias: string, dims: readonly number[]): { width: number; height: number } {
  const d = [...dims];
  if (d.length === 4 && d[0] === 1 && d[3] === 1) return { height: d[1], width: d[2] };
  if (d.length === 4 && d[0] === 1 && d[1] === 1) return { height: d[2], width: d[3] };
  if (d.length === 3 && d[0] === 1) return { height: d[1], width: d[2] };
  throw new Error(`model ${alias} returned a [${d.join(', ')}] output, not one person-probability map ([1, H, W, 1], [1, H, W] or [1, 1, H, W])`);
}

/**
 * Person segmentation: the image stretched to the model's input (as the manifest says), one
 * probability map out, then {@link binaryMask} scales it to the image's own size and thresholds
 * it. A runner of its own rather than a template pipeline because encoding the mask (sharp) is
 * asynchronous. The output must already be a probability (MediaPipe Selfie ends in a sigmoid).
 */
export function createSegmentRunner(model: ModelContext): TaskRunner<SegmentParams, SegmentOutput> {
  const { session } = model;
  const input = imageTensorInput(model);
  const output = session.outputs[0]?.name;
  if (!output) throw new Error(`model ${model.alias} declares no outputs`);
  return {
    async run(request, params) {
      const clock = new StageTimer();
      const pixels = await input.decode(requireImage(request));
      clock.lap('decode');
      const feeds = { [input.name]: input.tensor(pixels) };
      clock.lap('preprocess');
      const result = (await session.run(feeds, [output]))[output];
      clock.lap('inference');
      const map = mapSize(model.alias, result.dims);
      const mask = await binaryMask(floatValues(result), map.width, map.height, pixels.width, pixels.height, params.threshold);
      clock.lap('postprocess');
      const timings = clock.timings();
      return {
        output: {
          width: pixels.width,
          height: pixels.height,
          mask: mask.png.toString('base64'),
          box: mask.box,
          coverage: round4(mask.coverage),
          threshold: params.threshold,
        },
        timings,
      };
    },
  };
}

export const segmentTask: TaskDefinition<SegmentParams, SegmentOutput> = {
  name: 'segment',
  input: 'image',
  // Below 16 px there is no person shape left to separate from the background.
  minImageSide: 16,
  params: SegmentParams,
  createPipeline: createSegmentRunner,
};
