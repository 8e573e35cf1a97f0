import { randomInt } from 'node:crypto';
import { errors } from '../../errors.js';
import type { OnnxFolderSession } from '../../runtimes/onnx-folder.js';
import { isOnnxFolderSession } from '../../runtimes/sessions.js';
import { probeImage } from '../../vision/image.js';
import { sessionFamily } from '../family.js';
import type { ModelContext, RunContext, TaskInput, TaskRunner } from '../types.js';
import { StableDiffusion } from './diffusion.js';
import {
  DEFAULT_GUIDANCE, DEFAULT_SIDE, DEFAULT_STEPS, DEFAULT_STRENGTH, MAX_SIDE, MIN_SIDE,
  type GenerateOutput, type GenerateParams,
} from './params.js';
import { decodeRgb, encodePng, rgbToSigned, signedToRgb, type RgbImage } from './pixels.js';
import { StageTimer } from '../timing.js';

/** The largest side ≤ `value` that is a multiple of `multiple`, and never below the smallest allowed side. */
function snap(value: number, multiple: number): number {
  return Math.max(Math.ceil(MIN_SIDE / multiple) * multiple, Math.floor(value / multiple) * multiple);
}

/**
 * Output size: the request's, else 512² for generation and the input's own size for an edit
 * (scaled down to fit 1024 and snapped to the model's multiple).
 */
async function outputSize(input: TaskInput, params: GenerateParams, multiple: number, maxPixels: number): Promise<{ width: number; height: number }> {
  let width = params.width;
  let height = params.height;
  if (input.image && (width === undefined || height === undefined)) {
    const info = await probeImage(input.image, { maxPixels });
    const scale = Math.min(1, MAX_SIDE / Math.max(info.width, info.height));
    width ??= snap(info.width * scale, multiple);
    height ??= snap(info.height * scale, multiple);
  }
  return { width: width ?? DEFAULT_SIDE, height: height ?? DEFAULT_SIDE };
}

/**
 * Local text-to-image and image edits on a Stable Diffusion ONNX folder. Stages: decode (the
 * input image of an edit), preprocess (tokens and starting noise), inference (text encoder, VAE
 * encoder, UNet steps, VAE decoder), postprocess (PNG encoding).
 */
export async function createLocalGenerateRunner(model: ModelContext, folder: OnnxFolderSession): Promise<TaskRunner<GenerateParams, GenerateOutput>> {
  const sd = await StableDiffusion.load(folder);
  return {
    async run(input: TaskInput, params: GenerateParams, context: RunContext = {}) {
      const clock = new StageTimer();
      const prompt = input.text ?? '';
      const edit = input.image !== undefined;
      const guidance = params.guidance ?? DEFAULT_GUIDANCE;
      if (!edit && params.strength !== undefined) throw errors.invalidParams('strength applies to image edits only: send an image with the prompt.');
      if (params.negative_prompt !== undefined && guidance <= 1) {
        throw errors.invalidParams(`negative_prompt needs classifier-free guidance: set guidance above 1 (it is ${guidance}).`);
      }
      if (edit && !sd.canEdit) throw errors.invalidParams(`Model '${model.alias}' cannot edit images: its export has no vae_encoder.`);
      const { width, height } = await outputSize(input, params, sd.sizeMultiple, model.maxPixels);
      if (width % sd.sizeMultiple || height % sd.sizeMultiple) {
        throw errors.invalidParams(`Model '${model.alias}' makes images whose sides are multiples of ${sd.sizeMultiple} (its UNet halves the latent repeatedly); ${width}x${height} is not.`);
      }
      const source = input.image ? await decodeRgb(input.image, width, height, model.maxPixels) : undefined;
      clock.lap('decode');

      const steps = params.steps ?? DEFAULT_STEPS;
      const strength = edit ? params.strength ?? DEFAULT_STRENGTH : undefined;
      const seed = params.seed ?? randomInt(0, 2 ** 32);
      const seeds = Array.from({ length: params.n }, (_, i) => (seed + i) % 2 ** 32);
      let rgb: RgbImage[];
      let tokens = sd.tokenizer.encode(prompt);
      let applied = strength;
      if (source && strength === 0) {
        // Strength 0 keeps the input as it is: a VAE round trip would blur it for nothing.
        rgb = seeds.map(() => source);
      } else {
        const result = await sd.generate({
          prompt, negativePrompt: params.negative_prompt, width, height, n: params.n, steps, seeds, guidance, signal: context.signal,
          init: source && strength ? { pixels: rgbToSigned(source), strength } : undefined,
        });
        rgb = result.images.map((image) => signedToRgb(image, width, height));
        ({ tokens } = result);
        applied = result.strength;
        clock.add('preprocess', result.preprocess_ms);
        clock.add('inference', result.inference_ms);
      }
      clock.restart();
      const pngs = await Promise.all(rgb.map(encodePng));
      const revised = tokens.dropped ? sd.tokenizer.decode(tokens.ids.slice(1, 1 + tokens.used)) : prompt;
      const output: GenerateOutput = {
        images: pngs.map((png, i) => ({ b64_json: png.toString('base64'), seed: seeds[i], revised_prompt: revised })),
        width, height, seed, steps, guidance, strength: applied,
        prompt_tokens: tokens.used, prompt_tokens_dropped: tokens.dropped,
      };
      clock.lap('postprocess');
      return { output, timings: clock.timings() };
    },
  };
}

/**
 * The generate family of Stable Diffusion ONNX folders (worker process). A folder that is not a
 * usable pipeline makes the model unavailable (503 naming what is wrong), not an internal error.
 */
export const stableDiffusionFamily = sessionFamily<OnnxFolderSession, GenerateParams, GenerateOutput>({
  name: 'stable-diffusion onnx folder',
  session: isOnnxFolderSession,
  create: (model, folder) => createLocalGenerateRunner(model, folder).catch((error: unknown) => {
    throw errors.modelUnavailable(model.alias, `its folder is not a usable Stable Diffusion export: ${(error as Error).message}`);
  }),
});
