import { errors } from '../errors.js';
import type { TransformersSession } from '../runtimes/transformers.js';
import { isTransformersSession } from '../runtimes/sessions.js';
import type { TensorData } from '../runtimes/types.js';
import { familyPipeline, sessionFamily, type TaskFamily } from './family.js';
import { hfEmbedder } from './hf-vision.js';
import { floatValues, imageTensorInput, type DecodedImage } from './image-tensor.js';
import { EmbedParams, MAX_METADATA_BYTES, type EmbedOutput } from './params/embed.js';
import { l2Normalize, vectorToJson } from './scores.js';
import { requireImage, type ModelContext, type Pipeline, type TaskDefinition, type TaskRunner } from './types.js';
import { StageTimer } from './timing.js';

function shape(vector: Float32Array, normalize: boolean): EmbedOutput {
  return { embedding: vectorToJson(normalize ? l2Normalize(vector) : vector), dim: vector.length, normalized: normalize };
}

/** The pooled vector of a `[1, dim]` (or `[1, dim, 1, 1]`) output; anything with more than one non-unit axis is not pooled. */
function pooled(tensor: TensorData, alias: string): Float32Array {
  const axes = tensor.dims.slice(1).filter((d) => d !== 1);
  if (tensor.dims[0] !== 1 || axes.length > 1) {
    throw errors.internal(`Model ${alias} returned [${tensor.dims.join(', ')}], not one pooled vector per image; it is not an embedding model.`);
  }
  return floatValues(tensor);
}

/**
 * A generic ONNX embedder (pooled output), as its manifest describes the input (e.g. ResNet18
 * without fc: shorter side 256, centre crop 224, /255, ImageNet mean/std). The output named
 * `embedding` is read, or the model's only output.
 */
export function createOnnxEmbedder(model: ModelContext): Pipeline<EmbedParams, DecodedImage, EmbedOutput> {
  const image = imageTensorInput(model);
  const outputs = model.session.outputs;
  const output = outputs.find((o) => o.name === 'embedding')?.name ?? (outputs.length === 1 ? outputs[0].name : undefined);
  if (!output) throw new Error(`model ${model.alias}: no output named 'embedding' among ${outputs.map((o) => o.name).join(', ')}`);
  return {
    outputs: [output],
    decode: (input, _params, options) => image.decode(requireImage(input), options),
    preview: (decoded) => decoded.preview,
    preprocess: (pixels) => ({ [image.name]: image.tensor(pixels) }),
    postprocess: (results, _decoded, params) => shape(pooled(results[output], model.alias), params.normalize),
  };
}

async function createHfEmbedder(model: ModelContext, session: TransformersSession): Promise<TaskRunner<EmbedParams, EmbedOutput>> {
  const runner = await hfEmbedder(model, session);
  return {
    async run(input, params) {
      const { output, timings } = await runner.run(input, params);
      const clock = new StageTimer(timings);
      const result = shape(output.vector, params.normalize);
      clock.lap('postprocess');
      return { output: result, timings: clock.timings() };
    },
    release: runner.release,
  };
}

/** Image (and, for CLIP, text) embedders from Hugging Face folders run by transformers.js. */
const hfEmbedderFamily = sessionFamily<TransformersSession, EmbedParams, EmbedOutput>({
  name: 'transformers',
  session: isTransformersSession,
  create: createHfEmbedder,
});

/** Tensor models Argus feeds itself (onnx, tfjs) with a pooled output; CLIP needs its text side, so not here. */
const onnxEmbedderFamily: TaskFamily<EmbedParams, EmbedOutput> = {
  name: 'onnx',
  accepts: (model) => !isTransformersSession(model.session) && model.output?.format !== 'clip',
  create: createOnnxEmbedder,
};

/** The kinds of model embed runs, the first that accepts a model serving it. */
export const embedFamilies: readonly TaskFamily<EmbedParams, EmbedOutput>[] = [
  hfEmbedderFamily,
  onnxEmbedderFamily,
];

/** Embeddings: one vector per image (or, for CLIP, per text) in the model's space. */
export const embedTask: TaskDefinition<EmbedParams, EmbedOutput> = {
  name: 'embed',
  overlappable: true,
  input: 'image-or-text',
  params: EmbedParams,
  checkRequest(model, params, input) {
    if (input.text && model.output?.format !== 'clip') throw errors.textNotSupported(model.alias);
    if (input.text && params.store) throw errors.invalidParams('store keeps image embeddings; embed texts to search with them (POST /v1/search with text).');
    if (params.metadata && !params.store) throw errors.invalidParams('metadata is kept only with a stored embedding: add "store": true.');
    if (params.metadata && Buffer.byteLength(JSON.stringify(params.metadata)) > MAX_METADATA_BYTES) {
      throw errors.invalidParams(`metadata is larger than ${MAX_METADATA_BYTES} bytes as JSON.`);
    }
  },
  createPipeline: familyPipeline(embedFamilies, (model) => new Error(`model ${model.alias}: CLIP embeddings run on the transformers runtime`)),
};
