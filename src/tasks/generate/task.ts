import { errors } from '../../errors.js';
import { familyPipeline, type TaskFamily } from '../family.js';
import type { TaskDefinition } from '../types.js';
import { stableDiffusionFamily } from './local-runner.js';
import { GenerateParams, type GenerateOutput } from './params.js';
import { upstreamGenerateFamily } from './upstream-runner.js';

export { GenerateParams, type GenerateOutput, type GeneratedImage } from './params.js';

/** The kinds of model generate runs, the first that accepts a model serving it. */
export const generateFamilies: readonly TaskFamily<GenerateParams, GenerateOutput>[] = [
  upstreamGenerateFamily,
  stableDiffusionFamily,
];

/**
 * Image generation and edits: a prompt, plus an image for an edit. Local Stable Diffusion ONNX
 * folders run in a worker process; upstream OpenAI-compatible servers are called from the API
 * process.
 */
export const generateTask: TaskDefinition<GenerateParams, GenerateOutput> = {
  name: 'generate',
  input: 'text',
  params: GenerateParams,
  // A model no family serves is unavailable (503 naming what is wrong), not an internal error.
  createPipeline: familyPipeline(generateFamilies, (model) => errors.modelUnavailable(model.alias,
    'generate runs a Stable Diffusion ONNX folder (text_encoder/, unet/, vae_decoder/ with model.onnx, tokenizer/, scheduler/) or an upstream server, and this is neither.')),
};
