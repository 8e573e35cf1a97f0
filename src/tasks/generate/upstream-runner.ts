import { errors } from '../../errors.js';
import { isUpstreamSession, type UpstreamSession } from '../../runtimes/upstream.js';
import { probeImage } from '../../vision/image.js';
import { sessionFamily } from '../family.js';
import type { RunContext, TaskInput, TaskRunner } from '../types.js';
import type { GenerateOutput, GenerateParams } from '../params/generate.js';
import { StageTimer } from '../timing.js';

/** OpenAI's images answer, as far as Argus reads it. */
interface ImagesResponse {
  data?: Array<{ b64_json?: string; url?: string; revised_prompt?: string }>;
}

/**
 * Image generation through an upstream OpenAI-compatible server: `POST {baseUrl}/images/generations`
 * with `response_format: "b64_json"`. Standard fields go as OpenAI names them; seed, steps,
 * guidance and negative_prompt go only when the request set them, under Argus's names, so an
 * upstream that does not take them refuses the request (a 400 naming the upstream) rather than
 * silently ignoring them. Edits are refused: OpenAI's edits endpoint takes multipart uploads,
 * which the upstream client does not send yet.
 */
export function createUpstreamGenerateRunner(alias: string, session: UpstreamSession): TaskRunner<GenerateParams, GenerateOutput> {
  const { client } = session;
  return {
    async run(input: TaskInput, params: GenerateParams, context: RunContext = {}) {
      if (input.image) throw errors.badRequest(`Model '${alias}' is served by ${client.baseUrl}; Argus forwards image generation to it, not edits. Edit with a local model.`);
      if (params.strength !== undefined) throw errors.invalidParams('strength applies to image edits only: send an image with the prompt.');
      if ((params.width === undefined) !== (params.height === undefined)) throw errors.invalidParams('Give both width and height (or neither) for an upstream model.');
      const prompt = input.text ?? '';
      const body: Record<string, unknown> = { model: session.upstreamModel, prompt, n: params.n, response_format: 'b64_json' };
      if (params.width !== undefined) body.size = `${params.width}x${params.height}`;
      for (const key of ['seed', 'steps', 'guidance', 'negative_prompt'] as const) if (params[key] !== undefined) body[key] = params[key];

      const clock = new StageTimer();
      const answer = await client.postJson<ImagesResponse>('/images/generations', body, { signal: context.signal });
      clock.lap('inference');
      if (!Array.isArray(answer.data) || answer.data.length === 0) throw errors.upstreamFailed(alias, client.baseUrl, 'its answer holds no images.');
      const images = answer.data.map((item, i) => {
        if (typeof item.b64_json !== 'string') {
          throw errors.upstreamFailed(alias, client.baseUrl, `image ${i} came ${item.url ? 'as a URL' : 'empty'} although b64_json was asked for.`);
        }
        return { b64_json: item.b64_json, revised_prompt: item.revised_prompt ?? prompt, ...(params.seed !== undefined ? { seed: (params.seed + i) % 2 ** 32 } : {}) };
      });
      // The size comes from the first image's header: an upstream may round or ignore the asked size.
      let size: { width: number; height: number };
      try {
        size = await probeImage(Buffer.from(images[0].b64_json, 'base64'), { maxPixels: Number.MAX_SAFE_INTEGER });
      } catch (error) {
        throw errors.upstreamFailed(alias, client.baseUrl, `its first image is not one Argus can read (${(error as Error).message}).`);
      }
      const output: GenerateOutput = { images, width: size.width, height: size.height, seed: params.seed, steps: params.steps, guidance: params.guidance };
      clock.lap('postprocess');
      return { output, timings: clock.timings() };
    },
  };
}

/** The generate family of upstream models (runtime `upstream`, served from the API process). */
export const upstreamGenerateFamily = sessionFamily<UpstreamSession, GenerateParams, GenerateOutput>({
  name: 'upstream',
  session: isUpstreamSession,
  create: (model, session) => Promise.resolve(createUpstreamGenerateRunner(model.alias, session)),
});
