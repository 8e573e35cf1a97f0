import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransformersSession } from '../runtimes/transformers.js';
import { isTransformersSession } from '../runtimes/sessions.js';
import { decodeRaw } from '../vision/raw.js';
import { chatImages, checkImageCount, type ChatOutput, type ChatParams } from './chat-params.js';
import { StreamedText } from './chat-text.js';
import { sessionFamily } from './family.js';
import type { ModelContext, TaskRunner } from './types.js';
import { StageTimer } from './timing.js';

/**
 * transformers.js picks each ONNX file of a model by a dtype suffix (`decoder_model_merged` +
 * `_quantized` for q8, `_q4`, `_fp16`, none for fp32). A manifest pulls one variant of each file,
 * so the dtype per file is whatever is there; when several are, the first of this order wins:
 * int8 first because it is the fastest on CPU and the one the built-in manifests pull.
 */
const DTYPE_BY_SUFFIX: ReadonlyArray<[suffix: string, dtype: string]> = [
  ['_quantized', 'q8'], ['', 'fp32'], ['_int8', 'int8'], ['_uint8', 'uint8'], ['_q4', 'q4'], ['_bnb4', 'bnb4'], ['_fp16', 'fp16'], ['_q4f16', 'q4f16'],
];

/** The dtype of each ONNX session of a model folder, from the file names in its `onnx/` folder. */
export function dtypesFromFiles(files: readonly string[]): Record<string, string> {
  const onnx = new Set(files.filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -'.onnx'.length)));
  const dtypes: Record<string, string> = {};
  // Session names are the files' stems with every known suffix taken off.
  const stems = new Set([...onnx].map((name) => DTYPE_BY_SUFFIX.reduce((stem, [suffix]) => (suffix && stem.endsWith(suffix) ? stem.slice(0, -suffix.length) : stem), name)));
  for (const stem of stems) {
    const found = DTYPE_BY_SUFFIX.find(([suffix]) => onnx.has(stem + suffix));
    if (found) dtypes[stem] = found[1];
  }
  return dtypes;
}

/**
 * Chat on a local vision-language model (SmolVLM / Idefics3 and other image-text-to-text models
 * transformers.js runs): decode the images → processor (chat template, image splitting,
 * tokenisation) → `generate` with a streamer that emits text deltas and stops at stop sequences.
 */
export async function createVlmChatRunner(model: ModelContext, session: TransformersSession): Promise<TaskRunner<ChatParams, ChatOutput>> {
  const hf = await import('@huggingface/transformers');
  const files = await readdir(join(session.modelDir, 'onnx')).catch(() => [] as string[]);
  const processor = await hf.AutoProcessor.from_pretrained(session.modelId, session.loadOptions);
  const vlm = await hf.AutoModelForImageTextToText.from_pretrained(session.modelId, { ...session.loadOptions, dtype: dtypesFromFiles(files) as never });
  const tokenizer = processor.tokenizer;
  if (!tokenizer) throw new Error(`model ${model.alias} has no tokenizer`);
  const eosIds = new Set([vlm.generation_config?.eos_token_id ?? tokenizer.eos_token_id].flat().filter((id) => id !== null && id !== undefined).map(Number));

  return {
    async run(input, params, context = {}) {
      const clock = new StageTimer();
      const bytes = chatImages(input);
      checkImageCount(params.messages, bytes.length);
      const images = await Promise.all(bytes.map(async (b) => {
        const raw = await decodeRaw(b, model.maxPixels);
        return new hf.RawImage(new Uint8ClampedArray(raw.data.buffer, raw.data.byteOffset, raw.data.length), raw.width, raw.height, 3);
      }));
      clock.lap('decode');
      const prompt = processor.apply_chat_template(params.messages as never, { add_generation_prompt: true }) as string;
      // The processor expands each <image> into its tile tokens; a text-only chat needs only the tokenizer.
      const inputs = images.length ? await processor(prompt, images) : tokenizer(prompt);
      const promptTokens: number = inputs.input_ids.dims.at(-1);
      clock.lap('preprocess');

      const text = new StreamedText(params.stop);
      const generated: bigint[] = [];
      const interrupt = new hf.InterruptableStoppingCriteria();
      const onAbort = () => interrupt.interrupt();
      // Cancelled while it waited in the worker's queue: stop after the first step.
      if (context.signal?.aborted) interrupt.interrupt();
      context.signal?.addEventListener('abort', onAbort, { once: true });
      const streamer = new (class extends hf.BaseStreamer {
        private promptSeen = false;
        override put(value: bigint[][]): void {
          // generate() hands the prompt over first; only what follows is the answer.
          if (!this.promptSeen) {
            this.promptSeen = true;
            return;
          }
          generated.push(...value[0]);
          const delta = text.update(tokenizer.decode(generated, { skip_special_tokens: true }));
          if (text.stopped) interrupt.interrupt();
          if (delta) context.emit?.({ delta });
        }
        override end(): void {}
      })();
      const sampling = params.temperature !== undefined ? params.temperature > 0 : params.top_p !== undefined;
      // Seeded per request (one request at a time per worker), so a seed gives the same answer.
      hf.random.seed(params.seed);
      try {
        await vlm.generate({
          ...inputs,
          max_new_tokens: params.max_tokens,
          do_sample: sampling,
          ...(sampling ? { temperature: params.temperature ?? 1, top_p: params.top_p ?? 1 } : {}),
          streamer,
          stopping_criteria: [interrupt],
        } as never);
      } finally {
        context.signal?.removeEventListener('abort', onAbort);
      }
      const tail = text.finish();
      if (tail) context.emit?.({ delta: tail });
      clock.lap('inference');

      const last = generated.at(-1);
      const ended = text.stopped || (last !== undefined && eosIds.has(Number(last)));
      const output: ChatOutput = {
        content: text.text,
        finish_reason: ended ? 'stop' : generated.length >= params.max_tokens ? 'length' : context.signal?.aborted ? 'cancelled' : 'stop',
        usage: { prompt_tokens: promptTokens, completion_tokens: generated.length, total_tokens: promptTokens + generated.length },
      };
      return { output, timings: clock.timings() };
    },
    release: async () => {
      await vlm.dispose();
    },
  };
}

/** The chat family of local vision-language (and text-only) models run by transformers.js in a worker. */
export const vlmChatFamily = sessionFamily<TransformersSession, ChatParams, ChatOutput>({
  name: 'transformers',
  session: isTransformersSession,
  create: createVlmChatRunner,
});
