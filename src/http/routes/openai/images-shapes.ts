/**
 * OpenAI's images API ↔ Argus's `generate` task: request and response schemas and the translation
 * both ways. Translation only; what a model does with a prompt is the task's.
 */
import Type, { type Static } from 'typebox';
import { errors } from '../../../errors.js';
import type { ImageSource, TaskRequest, TaskResult } from '../../../service/inference.js';
import { GenerateParams, MAX_PROMPT_CHARS, MAX_SIDE, MIN_SIDE, SIZE_MULTIPLE, type GenerateOutput } from '../../../tasks/params/generate.js';
import { Base64Image, FileField, Timings } from '../../schemas.js';

const p = GenerateParams.properties;

/** Fields generations and edits share: OpenAI's, then Argus's own (steps, seed, guidance, negative_prompt). */
const Common = {
  prompt: Type.String({ minLength: 1, maxLength: MAX_PROMPT_CHARS, description: 'What to draw (CLIP reads its first 75 tokens; revised_prompt says what was read).' }),
  model: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Model alias (sd-turbo or an upstream alias), or a name for the default generation model: image-gen or schnell (4 steps, edits at strength 0.7) or dev (20 steps). schnell when absent, as the original vision API.',
  })),
  n: Type.Optional(p.n),
  size: Type.Optional(Type.String({
    maxLength: 32,
    description: `WIDTHxHEIGHT, each a multiple of ${SIZE_MULTIPLE} from ${MIN_SIDE} to ${MAX_SIDE} (a model may need more: SD UNets want multiples of 64), or "auto". Generation defaults to 512x512, an edit to its input's size.`,
  })),
  response_format: Type.Optional(Type.String({ description: 'b64_json (the default and the only one: Argus does not host images for `url`).' })),
  output_format: Type.Optional(Type.String({ description: 'png (the only one).' })),
  user: Type.Optional(Type.String({ description: 'Accepted for compatibility; not used.' })),
  steps: p.steps,
  seed: p.seed,
  guidance: p.guidance,
  negative_prompt: p.negative_prompt,
};

export const GenerationRequest = Type.Object(Common);
export type GenerationRequest = Static<typeof GenerationRequest>;

const Strength = p.strength;
const Mask = Type.Optional(Type.Unknown({ description: 'Not supported: a mask is refused with a 400 (edits regenerate the whole image, as much as strength says).' }));

export const EditJsonRequest = Type.Object({ image: Base64Image, mask: Mask, strength: Strength, ...Common });
export const EditMultipartRequest = Type.Object({
  image: FileField('The image to edit (JPEG, PNG, WebP, GIF or TIFF).'),
  mask: Mask,
  strength: Strength,
  ...Common,
});

export const ImagesResponse = Type.Object({
  created: Type.Integer({ description: 'Unix seconds.' }),
  data: Type.Array(Type.Object({
    b64_json: Type.String({ description: 'The image (PNG from local models), base64.' }),
    revised_prompt: Type.String({ description: 'The prompt as the model read it: cut to what fit its text encoder, or rewritten by an upstream.' }),
  })),
  usage: Type.Object({
    latency: Type.Number({ description: 'Seconds from receiving the request to the answer.' }),
    seed: Type.Optional(Type.Integer({ description: 'Seed of the first image; image i used seed + i. Absent when an upstream made them without one.' })),
    steps: Type.Optional(Type.Integer()),
    guidance: Type.Optional(Type.Number()),
    strength: Type.Optional(Type.Number({ description: 'Edits: the strength applied (steps ÷ schedule length).' })),
    prompt_tokens: Type.Optional(Type.Integer({ description: 'Prompt tokens the text encoder read.' })),
    prompt_tokens_dropped: Type.Optional(Type.Integer({ description: 'Prompt tokens beyond the text encoder\'s context, not read.' })),
  }),
  model: Type.String({ description: 'The Argus model alias that answered.' }),
  size: Type.String({ description: 'WIDTHxHEIGHT of the images.' }),
  timings: Timings,
});

/** "512x512" → width and height; "auto" or nothing → the model's default. Bounds are the task's, named here for the `size` field. */
export function parseSize(size: string | undefined): { width?: number; height?: number } {
  if (size === undefined || size === 'auto') return {};
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) throw errors.invalidParams(`size '${size}' is not WIDTHxHEIGHT (for example "512x512").`);
  const [width, height] = [Number(match[1]), Number(match[2])];
  if (width % SIZE_MULTIPLE || height % SIZE_MULTIPLE) throw errors.invalidParams(`size ${size}: width and height must be multiples of ${SIZE_MULTIPLE}.`);
  if (Math.min(width, height) < MIN_SIDE || Math.max(width, height) > MAX_SIDE) {
    throw errors.invalidParams(`size ${size}: width and height must be from ${MIN_SIDE} to ${MAX_SIDE} pixels.`);
  }
  return { width, height };
}

/** Translates a generations or edits body into a `generate` task request; what Argus cannot honour is refused by name. */
export function imagesTaskRequest(body: Record<string, unknown>, image?: ImageSource): TaskRequest {
  if (body.response_format !== undefined && body.response_format !== 'b64_json') {
    const why = body.response_format === 'url' ? 'Argus returns images inline and hosts no URLs for them' : 'the only format is b64_json';
    throw errors.invalidParams(`response_format '${String(body.response_format)}' is not supported: ${why}. Omit it or send "b64_json".`);
  }
  if (body.output_format !== undefined && body.output_format !== 'png') {
    throw errors.invalidParams(`output_format '${String(body.output_format)}' is not supported: images are PNG.`);
  }
  if (body.mask !== undefined) {
    throw errors.invalidParams('mask is not supported: an edit regenerates the whole image, as much as strength says (0 keeps it, 1 redraws it).');
  }
  const { width, height } = parseSize(body.size as string | undefined);
  const params = Object.fromEntries(
    Object.entries({ width, height, n: body.n, steps: body.steps, seed: body.seed, guidance: body.guidance, negative_prompt: body.negative_prompt, strength: body.strength })
      .filter(([, value]) => value !== undefined),
  );
  // No model: "schnell", as the replaced vision API's document defaults it (its steps and strength).
  return { task: 'generate', model: (body.model as string | undefined) ?? 'schnell', text: body.prompt as string, image, params };
}

/** The task's result in OpenAI's images shape, with Argus's usage fields. */
export function imagesResponse(result: TaskResult): Static<typeof ImagesResponse> {
  const output = result as unknown as GenerateOutput & TaskResult;
  return {
    created: Math.floor(Date.now() / 1000),
    data: output.images.map((image) => ({ b64_json: image.b64_json, revised_prompt: image.revised_prompt })),
    usage: {
      latency: Math.round(result.timings.total_ms) / 1000,
      seed: output.seed,
      steps: output.steps,
      guidance: output.guidance,
      strength: output.strength,
      prompt_tokens: output.prompt_tokens,
      prompt_tokens_dropped: output.prompt_tokens_dropped,
    },
    model: result.model.alias,
    size: `${output.width}x${output.height}`,
    timings: result.timings,
  };
}
