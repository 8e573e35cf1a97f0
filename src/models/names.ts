import type { TaskName } from './manifest.js';

/** A model name that stands for whichever model serves a task by default, with its own parameter defaults. */
export interface TaskModelName {
  task: TaskName;
  /** Task parameters a request under this name gets when it sets none (local models only). */
  defaults: Readonly<Record<string, unknown>>;
  /** More defaults for a request that carries an image (an edit's strength). */
  imageDefaults?: Readonly<Record<string, unknown>>;
  description: string;
}

/**
 * The names the replaced OpenAI-compatible vision API documented for image generation
 * (originals/004: `image-gen`, and `model: "schnell"` (fast, 4 steps) or `"dev"` (quality, 20
 * steps), edits at strength 0.7). Its clients send them as they are; here each stands for the
 * default generation model (sd-turbo unless configured otherwise), with the document's defaults.
 * A manifest of the same alias takes precedence. (`vlm-fast` and `vlm-best` are real catalogue
 * entries.)
 */
export const TASK_MODEL_NAMES: Readonly<Record<string, TaskModelName>> = Object.freeze({
  'image-gen': { task: 'generate', defaults: { steps: 4 }, imageDefaults: { strength: 0.7 }, description: 'The default image generation model (the OpenAI-compatible vision API\'s alias).' },
  schnell: { task: 'generate', defaults: { steps: 4 }, imageDefaults: { strength: 0.7 }, description: 'The default image generation model, fast: 4 steps unless the request sets steps.' },
  dev: { task: 'generate', defaults: { steps: 20 }, imageDefaults: { strength: 0.7 }, description: 'The default image generation model, quality: 20 steps unless the request sets steps.' },
});
