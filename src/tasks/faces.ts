import { errors } from '../errors.js';
import type { TensorData } from '../runtimes/types.js';
import { decodeRaw, resizeRaw } from '../vision/raw.js';
import { hwcToChw } from '../vision/tensor.js';
import { faceAttributes, type AttributeModels } from './face-attributes.js';
import { FacesParams, type Face, type FacesOutput } from './params/faces.js';
import { requireImage, type ModelContext, type TaskDefinition, type TaskRunner } from './types.js';
import { decodeYunet, YUNET_OUTPUTS } from './yunet.js';
import { round2, round4 } from '../numbers.js';
import { StageTimer } from './timing.js';

const STRIDE = 32;

/**
 * Face detection with YuNet (boxes + five landmarks), optionally followed by age, gender, emotion
 * and an embedding per face from the tfjs models the manifest lists in `files` (faceres, emotion).
 * A runner rather than a pipeline because one request may use three models on two runtimes. The
 * attribute models load on the first request that asks for them: a worker that only detects faces
 * never imports tfjs (about 0.8 s and 30 MB).
 */
export function createFacesRunner(model: ModelContext): TaskRunner<FacesParams, FacesOutput> {
  const { session } = model;
  const inputName = session.inputs[0].name;
  const missing = YUNET_OUTPUTS.filter((name) => !session.outputs.some((o) => o.name === name));
  if (missing.length) throw new Error(`model ${model.alias} is not a YuNet face detector: it lacks outputs ${missing.join(', ')}`);
  const input = model.input;
  // YuNet takes BGR 0–255 with no normalisation; a manifest can say otherwise for a retrained model.
  const transform = { scale: input?.scale ?? 1, mean: input?.mean, std: input?.std, bgr: (input?.colour ?? 'bgr') === 'bgr' };
  let attributeModels: Promise<AttributeModels> | undefined;

  function loadAttributeModels(): Promise<AttributeModels> {
    const { files, loadSession } = model;
    if (!files?.faceres || !files.emotion || !loadSession) {
      return Promise.reject(errors.badRequest(`Model '${model.alias}' has no attribute models (files.faceres and files.emotion in its manifest); send attributes: false.`));
    }
    attributeModels ??= Promise.all([loadSession('faceres', 'tfjs'), loadSession('emotion', 'tfjs')]).then(([faceres, emotion]) => ({ faceres, emotion }));
    // A failed load is not cached: the next request tries again and reports its own error.
    attributeModels.catch(() => { attributeModels = undefined; });
    return attributeModels;
  }

  return {
    async run(request, params) {
      const clock = new StageTimer();
      const image = await decodeRaw(requireImage(request), model.maxPixels);
      clock.lap('decode');
      // OpenCV's FaceDetectorYN: shrink to fit, pad right and bottom with black to multiples of 32.
      const k = Math.min(1, params.max_side / Math.max(image.width, image.height));
      const w = Math.max(1, Math.round(image.width * k));
      const h = Math.max(1, Math.round(image.height * k));
      const padWidth = Math.ceil(w / STRIDE) * STRIDE;
      const padHeight = Math.ceil(h / STRIDE) * STRIDE;
      const resized = await resizeRaw(image, w, h, { padWidth, padHeight, pad: 0 });
      const feeds: Record<string, TensorData> = { [inputName]: { type: 'float32', data: hwcToChw(resized.data, padWidth, padHeight, transform), dims: [1, 3, padHeight, padWidth] } };
      clock.lap('preprocess');
      const outputs = await session.run(feeds, YUNET_OUTPUTS);
      clock.lap('inference');
      const sx = image.width / w;
      const sy = image.height / h;
      const clipX = (v: number) => round2(Math.min(Math.max(v * sx, 0), image.width));
      const clipY = (v: number) => round2(Math.min(Math.max(v * sy, 0), image.height));
      const faces: Face[] = decodeYunet(outputs, padWidth, padHeight, { conf: params.conf, iou: params.iou, maxFaces: params.max_faces }).map((f) => ({
        box: { x1: clipX(f.x1), y1: clipY(f.y1), x2: clipX(f.x2), y2: clipY(f.y2) },
        confidence: round4(f.score),
        landmarks: f.landmarks.map(([x, y]) => [round2(x * sx), round2(y * sy)] as [number, number]),
      }));
      clock.lap('postprocess');

      if (params.attributes && faces.length) {
        const models = await loadAttributeModels();
        for (const face of faces) {
          Object.assign(face, await faceAttributes(image, face.box, models, clock));
        }
      }
      return { output: { width: image.width, height: image.height, faces }, timings: clock.timings() };
    },
  };
}

export const facesTask: TaskDefinition<FacesParams, FacesOutput> = {
  name: 'faces',
  input: 'image',
  // YuNet finds no face smaller than about 10 px.
  minImageSide: 10,
  params: FacesParams,
  createPipeline: createFacesRunner,
};
