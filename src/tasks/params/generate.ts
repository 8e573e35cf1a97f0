/** Parameters and result of the `generate` task (text to image, image edits). */
import Type, { type Static } from 'typebox';

/** Image sides are multiples of this: the VAE maps 8×8 pixels to one latent. */
export const SIZE_MULTIPLE = 8;
export const MIN_SIDE = 64;
export const MAX_SIDE = 1024;
/** Side of generated images when a request gives no size (SD-Turbo's native 512²). */
export const DEFAULT_SIDE = 512;
export const MAX_IMAGES = 4;
export const MAX_STEPS = 50;
export const MAX_PROMPT_CHARS = 4000;
export const DEFAULT_STEPS = 1;
export const DEFAULT_GUIDANCE = 0;
/** Edits: SD-Turbo's image-to-image setting (2 scheduled steps, the last one run). */
export const DEFAULT_STRENGTH = 0.5;

const Side = (what: string) => Type.Integer({
  minimum: MIN_SIDE, maximum: MAX_SIDE, multipleOf: SIZE_MULTIPLE,
  description: `${what} in pixels: a multiple of ${SIZE_MULTIPLE} from ${MIN_SIDE} to ${MAX_SIDE}. Generation defaults to ${DEFAULT_SIDE}; an edit to the input image's size.`,
});

/** Parameters of the `generate` task (text to image, and image edits when an image comes with the prompt). */
export const GenerateParams = Type.Object(
  {
    width: Type.Optional(Side('Width')),
    height: Type.Optional(Side('Height')),
    n: Type.Integer({ minimum: 1, maximum: MAX_IMAGES, default: 1, description: 'Images to make; image i uses seed + i.' }),
    // steps and guidance have no schema default: a local model applies its own (below), and an
    // upstream server gets only what the request really set.
    steps: Type.Optional(Type.Integer({
      minimum: 1, maximum: MAX_STEPS,
      description: `Denoising steps run (local models: ${DEFAULT_STEPS} when absent). SD-Turbo needs 1–4; models that are not distilled need 20–50.`,
    })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Noise seed; a random one (returned) when absent.' })),
    guidance: Type.Optional(Type.Number({
      minimum: 0, maximum: 30,
      description: `Classifier-free guidance scale (local models: ${DEFAULT_GUIDANCE} when absent); above 1 the prompt is contrasted with the negative prompt, at twice the UNet work. SD-Turbo is trained without guidance.`,
    })),
    negative_prompt: Type.Optional(Type.String({ maxLength: MAX_PROMPT_CHARS, description: 'What to steer away from (needs guidance > 1).' })),
    strength: Type.Optional(Type.Number({
      minimum: 0, maximum: 1,
      description: `Edits only: how much of the input image is regenerated. 0 returns the input; 1 redraws it from (almost) pure noise. Default ${DEFAULT_STRENGTH}.`,
    })),
  },
  { additionalProperties: false },
);
export type GenerateParams = Static<typeof GenerateParams>;

/** One generated image. */
export interface GeneratedImage {
  /** The image file, base64-encoded: a PNG from local models, whatever an upstream server sent otherwise. */
  b64_json: string;
  /** The seed that made it (local models; upstream servers report none). */
  seed?: number;
  /** The prompt as the model read it: the prompt itself, or the part that fit the text encoder (or the upstream's rewrite). */
  revised_prompt: string;
}

/** What the generate task returns (the service adds id, model and timings). */
export interface GenerateOutput {
  images: GeneratedImage[];
  width: number;
  height: number;
  /** The seed of the first image (image i used seed + i), when known. */
  seed?: number;
  steps?: number;
  guidance?: number;
  /** Edits: the strength actually applied (steps ÷ schedule length; see docs/openai.md). */
  strength?: number;
  /** Tokens of the prompt the text encoder saw, and those that did not fit its 77-token context (local models). */
  prompt_tokens?: number;
  prompt_tokens_dropped?: number;
}
