/**
 * Hugging Face vision models run by transformers.js (classifiers such as ViT or ResNet, CLIP for
 * zero-shot labels and for image/text embeddings, image feature extractors such as DINOv2). The
 * library does each model's own preprocessing from its preprocessor_config.json and tokenizer
 * files; Argus decodes the image (orientation, pixel limit) and shapes the answer.
 */
import type * as Transformers from '@huggingface/transformers';
import type { TransformersSession } from '../runtimes/transformers.js';
import { decodeRaw } from '../vision/raw.js';
import { softmax, topK, type Prediction } from './scores.js';
import type { ModelContext, TaskInput, TaskRunner } from './types.js';
import { StageTimer } from './timing.js';

type Library = typeof Transformers;

/** What the runners read of a transformers.js tensor. */
interface HfTensor {
  data: ArrayLike<number>;
  dims: number[];
}

/** CLIP-family configs transformers.js's zero-shot pipeline knows. */
const ZERO_SHOT_TYPES = new Set(['clip', 'siglip', 'chinese_clip']);

async function library(): Promise<Library> {
  return import('@huggingface/transformers');
}

/** Argus's decoder (EXIF orientation, pixel limit, no ICC) handing transformers.js raw RGB. */
async function rawImage(hf: Library, bytes: Uint8Array | undefined, maxPixels: number) {
  if (!bytes) throw new Error('an image is needed');
  const raw = await decodeRaw(bytes, maxPixels, 3);
  return new hf.RawImage(raw.data, raw.width, raw.height, 3);
}

function modelType(config: unknown): string {
  return String((config as { model_type?: unknown } | undefined)?.model_type ?? 'unknown');
}

/** A classifier from a Hugging Face folder (config.json id2label, preprocessor_config.json, onnx/model.onnx). */
export async function hfClassifier(
  model: ModelContext,
  session: TransformersSession,
): Promise<TaskRunner<{ top_k: number }, { predictions: Prediction[] }>> {
  const hf = await library();
  const processor = await hf.AutoProcessor.from_pretrained(session.modelId, { local_files_only: true });
  const net = await hf.AutoModelForImageClassification.from_pretrained(session.modelId, session.loadOptions);
  const id2label = ((net.config as { id2label?: Record<string, string> }).id2label) ?? {};
  const probabilities = model.output?.format === 'probabilities';
  return {
    async run(input: TaskInput, params) {
      const clock = new StageTimer();
      const image = await rawImage(hf, input.image, model.maxPixels);
      clock.lap('decode');
      const { pixel_values } = await processor(image);
      clock.lap('preprocess');
      const { logits } = (await net({ pixel_values })) as { logits: HfTensor };
      clock.lap('inference');
      const scores = probabilities ? logits.data : softmax(logits.data);
      const predictions = topK(scores, params.top_k, (id) => id2label[id] ?? String(id));
      clock.lap('postprocess');
      return { output: { predictions }, timings: clock.timings() };
    },
    release: async () => void (await net.dispose()),
  };
}

/**
 * Zero-shot classification with a CLIP-style model (onnx/model.onnx with logits_per_image),
 * through transformers.js's zero-shot-image-classification pipeline. Labels are used as given
 * (the template is `{}`), so clients write whole prompts ("a photo of a cat"). The pipeline
 * tokenizes, preprocesses and runs the model in one call: that is `inference_ms`.
 */
export async function clipZeroShot(
  model: ModelContext,
  session: TransformersSession,
): Promise<TaskRunner<{ top_k: number; labels?: string[] }, { predictions: Prediction[] }>> {
  const hf = await library();
  const classifier = await hf.pipeline('zero-shot-image-classification', session.modelId, session.loadOptions);
  const type = modelType(classifier.model.config);
  if (!ZERO_SHOT_TYPES.has(type)) {
    await classifier.dispose();
    throw new Error(`model ${model.alias} is declared CLIP-style (output.format "clip") but its config.json has model_type "${type}"`);
  }
  return {
    async run(input, params) {
      const labels = params.labels ?? [];
      const clock = new StageTimer();
      const image = await rawImage(hf, input.image, model.maxPixels);
      clock.lap('decode');
      const scored = (await classifier(image, labels, { hypothesis_template: '{}' })) as Array<{ label: string; score: number }>;
      clock.lap('inference');
      // Labels are unique (checked at the door), so a label's index is its class id.
      const scores = new Float32Array(labels.length);
      for (const { label, score } of scored) scores[labels.indexOf(label)] = score;
      const predictions = topK(scores, params.top_k, (id) => labels[id]);
      clock.lap('postprocess');
      return { output: { predictions }, timings: clock.timings() };
    },
    release: async () => void (await classifier.dispose()),
  };
}

export interface EmbedRunnerOutput {
  /** The raw vector; the embed task normalises and shapes it. */
  vector: Float32Array;
}

/** The one vector of an image from a feature extractor's outputs: projected, pooled, or the CLS token. */
function pooledVector(outputs: Record<string, HfTensor | undefined>, alias: string): Float32Array {
  const pooled = outputs.image_embeds ?? outputs.pooler_output;
  if (pooled) return Float32Array.from(pooled.data);
  const hidden = outputs.last_hidden_state;
  // [1, tokens, dim]: the first token is the class token (ViT, DINOv2).
  if (hidden?.dims.length === 3) return Float32Array.from(hidden.data).subarray(0, hidden.dims[2]);
  throw new Error(`model ${alias} returns no image_embeds, pooler_output or last_hidden_state (it returns ${Object.keys(outputs).join(', ')})`);
}

/**
 * Image (and, for CLIP, text) embeddings. CLIP loads its two towers (onnx/vision_model.onnx,
 * onnx/text_model.onnx) and answers in their shared projection space; any other model is an
 * image feature extractor (onnx/model.onnx).
 */
export async function hfEmbedder(model: ModelContext, session: TransformersSession): Promise<TaskRunner<unknown, EmbedRunnerOutput>> {
  const hf = await library();
  const processor = await hf.AutoProcessor.from_pretrained(session.modelId, { local_files_only: true });
  const clip = model.output?.format === 'clip';
  const config = await hf.AutoConfig.from_pretrained(session.modelId, { local_files_only: true });
  if (clip && modelType(config) !== 'clip') {
    throw new Error(`model ${model.alias} is declared CLIP (output.format "clip") but its config.json has model_type "${modelType(config)}"; CLIP text embeddings need model_type clip`);
  }
  const vision = clip
    ? await hf.CLIPVisionModelWithProjection.from_pretrained(session.modelId, session.loadOptions)
    : await hf.AutoModel.from_pretrained(session.modelId, session.loadOptions);
  const text = clip ? await hf.CLIPTextModelWithProjection.from_pretrained(session.modelId, session.loadOptions) : undefined;
  const tokenizer = clip ? await hf.AutoTokenizer.from_pretrained(session.modelId, { local_files_only: true }) : undefined;
  return {
    async run(input) {
      const clock = new StageTimer();
      if (input.text !== undefined) {
        // The service refuses text for image-only models before it gets here.
        if (!text || !tokenizer) throw new Error(`model ${model.alias} takes no text`);
        clock.lap('decode');
        const tokens = tokenizer([input.text], { padding: true, truncation: true });
        clock.lap('preprocess');
        const { text_embeds } = (await text(tokens)) as { text_embeds: HfTensor };
        clock.lap('inference');
        const vector = Float32Array.from(text_embeds.data);
        clock.lap('postprocess');
        return { output: { vector }, timings: clock.timings() };
      }
      const image = await rawImage(hf, input.image, model.maxPixels);
      clock.lap('decode');
      const { pixel_values } = await processor(image);
      clock.lap('preprocess');
      const outputs = (await vision({ pixel_values })) as Record<string, HfTensor | undefined>;
      clock.lap('inference');
      const vector = pooledVector(outputs, model.alias);
      clock.lap('postprocess');
      return { output: { vector }, timings: clock.timings() };
    },
    release: async () => {
      await vision.dispose();
      await text?.dispose();
    },
  };
}
