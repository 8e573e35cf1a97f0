import { errors } from '../errors.js';
import type { TransformersSession } from '../runtimes/transformers.js';
import { isTransformersSession } from '../runtimes/sessions.js';
import { isUpstreamSession } from '../runtimes/upstream.js';
import { hfInferenceClassifyFamily } from './classify-upstream.js';
import { familyPipeline, sessionFamily, type TaskFamily } from './family.js';
import { clipZeroShot, hfClassifier } from './hf-vision.js';
import { floatValues, imageTensorInput, type DecodedImage } from './image-tensor.js';
import { ClassifyParams, type ClassifyOutput } from './params/classify.js';
import { softmax, stripIndexPrefixes, topK } from './scores.js';
import { requireImage, type ModelContext, type Pipeline, type TaskDefinition } from './types.js';

/**
 * A generic ONNX image classifier, as its manifest describes it: resize (stretch, letterbox, or
 * shorter side + centre crop), colour order, scale, mean/std, float32 or float16 input; the
 * output read as probabilities or as logits (softmax applied here). Labels come from the
 * manifest (a labels file may carry each line's index, which is dropped).
 */
export function createOnnxClassifier(model: ModelContext): Pipeline<ClassifyParams, DecodedImage, ClassifyOutput> {
  const image = imageTensorInput(model);
  const outputs = model.session.outputs;
  if (outputs.length !== 1) throw new Error(`model ${model.alias}: a classifier has one output; it has ${outputs.map((o) => o.name).join(', ')}`);
  const output = outputs[0].name;
  const logits = model.output?.format !== 'probabilities';
  const labels = stripIndexPrefixes(model.labels);
  return {
    outputs: [output],
    decode: (input, _params, options) => image.decode(requireImage(input), options),
    preview: (decoded) => decoded.preview,
    preprocess: (pixels) => ({ [image.name]: image.tensor(pixels) }),
    postprocess(results, _decoded, params) {
      // [1, classes] or [1, classes, 1, 1]: one score per class either way.
      const values = floatValues(results[output]);
      const scores = logits ? softmax(values) : values;
      return { predictions: topK(scores, params.top_k, (id) => labels[id] ?? String(id)) };
    },
  };
}

const zeroShot = (model: ModelContext) => model.output?.format === 'clip';

/** Tensor models Argus feeds itself (onnx, tfjs): not zero-shot, which needs CLIP's text side. */
const onnxClassifierFamily: TaskFamily<ClassifyParams, ClassifyOutput> = {
  name: 'onnx',
  accepts: (model) => !isUpstreamSession(model.session) && !isTransformersSession(model.session) && !zeroShot(model),
  create: createOnnxClassifier,
};

/** CLIP-style models run by transformers.js, scoring the labels sent. */
const clipZeroShotFamily = sessionFamily<TransformersSession, ClassifyParams, ClassifyOutput>({
  name: 'transformers zero-shot',
  session: isTransformersSession,
  when: zeroShot,
  create: clipZeroShot,
});

/** Fixed-label classifiers from Hugging Face folders run by transformers.js. */
const hfClassifierFamily = sessionFamily<TransformersSession, ClassifyParams, ClassifyOutput>({
  name: 'transformers',
  session: isTransformersSession,
  when: (model) => !zeroShot(model),
  create: hfClassifier,
});

/** The kinds of model classify runs, the first that accepts a model serving it. */
export const classifyFamilies: readonly TaskFamily<ClassifyParams, ClassifyOutput>[] = [
  hfInferenceClassifyFamily,
  clipZeroShotFamily,
  hfClassifierFamily,
  onnxClassifierFamily,
];

function unsupported(model: ModelContext): Error {
  if (isUpstreamSession(model.session)) return new Error(`model ${model.alias}: classification upstreams speak the Hugging Face Inference API (source.kind "hf-inference")`);
  return new Error(`model ${model.alias}: zero-shot (clip) classification runs on the transformers runtime`);
}

/** Image classification: top-k classes of a fixed-label classifier, or of the labels sent to a CLIP-style model. */
export const classifyTask: TaskDefinition<ClassifyParams, ClassifyOutput> = {
  name: 'classify',
  overlappable: true,
  input: 'image',
  params: ClassifyParams,
  checkRequest(model, params) {
    const zeroShot = model.output?.format === 'clip';
    if (params.labels && !zeroShot) throw errors.labelsNotSupported(model.alias);
    if (!params.labels && zeroShot) throw errors.labelsRequired(model.alias);
    const repeated = params.labels?.filter((label, i) => params.labels!.indexOf(label) !== i);
    if (repeated?.length) throw errors.invalidParams(`Each label must be different; repeated: ${[...new Set(repeated)].join(', ')}.`);
  },
  createPipeline: familyPipeline(classifyFamilies, unsupported),
};
