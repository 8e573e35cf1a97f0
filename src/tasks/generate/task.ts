import { errors } from '../../errors.js';
import { isOnnxFolderSession } from '../../runtimes/onnx-folder.js';
import { isUpstreamSession } from '../../runtimes/upstream.js';
import type { ModelContext, TaskDefinition, TaskRunner } from '../types.js';
import { createLocalGenerateRunner } from './local-runner.js';
import { GenerateParams, type GenerateOutput } from './params.js';
import { createUpstreamGenerateRunner } from './upstream-runner.js';

export { GenerateParams, type GenerateOutput, type GeneratedImage } from './params.js';

/**
 * Image generation and edits: a prompt, plus an image for an edit. Local Stable Diffusion ONNX
 * folders run in a worker process; upstream OpenAI-compatible servers are called from the API
 * process.
 */
export const generateTask: TaskDefinition<GenerateParams, GenerateOutput> = {
  name: 'generate',
  input: 'text',
  params: GenerateParams,
  createPipeline(model: ModelContext): Promise<TaskRunner<GenerateParams, GenerateOutput>> {
    if (isUpstreamSession(model.session)) return Promise.resolve(createUpstreamGenerateRunner(model.alias, model.session));
    // A folder that is not a usable pipeline makes the model unavailable (503 naming what is wrong), not an internal error.
    if (!isOnnxFolderSession(model.session)) {
      return Promise.reject(errors.modelUnavailable(model.alias,
        'generate runs a Stable Diffusion ONNX folder (text_encoder/, unet/, vae_decoder/ with model.onnx, tokenizer/, scheduler/) or an upstream server, and this is neither.'));
    }
    return createLocalGenerateRunner(model, model.session).catch((error: unknown) => {
      throw errors.modelUnavailable(model.alias, `its folder is not a usable Stable Diffusion export: ${(error as Error).message}`);
    });
  },
};
