import { errors } from '../errors.js';
import type { IoSpec, TensorData } from '../runtimes/types.js';
import { letterboxImage, unletterboxBox, type Box, type DecodedPixels, type PixelSource } from '../vision/letterbox.js';
import { resizeImage, unstretchBox } from '../vision/resize.js';
import { hwcToChw, hwcToFloat } from '../vision/tensor.js';
import type { PreviewSource } from '../vision/thumbnail.js';
import { CENTERNET_ROW, decodeCenterNet, type CenterNetDecodeOptions } from './centernet.js';
import { fitWithPreview } from './image-tensor.js';
import { DetectParams, type DetectOutput } from './params/detect.js';
import { type DecodeOptions, type InputSpec, type ModelContext, type OutputSpec, type Pipeline, pixelTransform, requireImage, type TaskDefinition } from './types.js';
import { decodeYolo, type RawDetection } from './yolo.js';
import { round2, round4 } from '../numbers.js';


function resolveClassIds(classes: DetectParams['classes'], labels: readonly string[]): Set<number> | undefined {
  if (!classes || classes.length === 0) return undefined;
  const byName = new Map(labels.map((l, i) => [l.toLowerCase(), i]));
  const ids = new Set<number>();
  const unknown: Array<string | number> = [];
  for (const c of classes) {
    const id = typeof c === 'number' ? c : /^\d+$/.test(c) ? Number(c) : byName.get(c.toLowerCase());
    if (id === undefined || id >= labels.length) unknown.push(c);
    else ids.add(id);
  }
  if (unknown.length) {
    throw errors.invalidParams(`Unknown classes for this model: ${unknown.join(', ')}.`, { unknown, known: labels });
  }
  return ids;
}

/** A decoded image, resized as the model wants it, with the way back to source pixels. */
interface PreparedImage extends DecodedPixels {
  toSource(box: Box): Box;
  /** The letterboxed input holds the whole image undistorted: the history's preview is cut from it. */
  preview?: PreviewSource;
}

function imageDecoder(input: InputSpec, maxPixels: number): (bytes: Uint8Array, options?: DecodeOptions) => Promise<PreparedImage> {
  switch (input.resize) {
    case 'letterbox':
      return async (bytes) => {
        const r = await letterboxImage(bytes, input.width, input.height, input.pad, maxPixels);
        const g = r.geometry;
        const preview: PreviewSource = {
          data: r.data, width: g.dstWidth, height: g.dstHeight, sourceWidth: r.width, sourceHeight: r.height,
          region: { left: g.padLeft, top: g.padTop, width: g.resizedWidth, height: g.resizedHeight },
        };
        return { data: r.data, width: r.width, height: r.height, toSource: (box) => unletterboxBox(box, g), preview };
      };
    case 'stretch':
      // A stretched input distorts the image: a preview comes from the whole image instead.
      return async (bytes, options) => {
        const fit = (source: PixelSource) => resizeImage(source, input.width, input.height, maxPixels);
        const r = await fitWithPreview(bytes, maxPixels, fit, { resizeTo: () => ({ width: input.width, height: input.height }) }, options);
        return { data: r.data, width: r.width, height: r.height, toSource: (box) => unstretchBox(box, r.geometry), preview: r.preview };
      };
    default:
      throw new Error(`detect supports letterbox and stretch input, not ${input.resize}`);
  }
}

type HeadFormat = OutputSpec['format'];

/** The output that holds a CenterNet's decoded peaks: `[1, K, 6]`, named `…detections`. */
function centerNetOutput(outputs: readonly IoSpec[]): IoSpec | undefined {
  return outputs.find((o) => /detections$/.test(o.name) && o.shape.length === 3 && o.shape[2] === CENTERNET_ROW);
}

/**
 * The head format of a model whose manifest format did not reach the pipeline, from the outputs
 * the model file declares: a CenterNet `…detections` `[1, K, 6]` output, or a single rank-3 YOLO
 * head. Anything else is refused at load rather than decoded as garbage.
 */
export function recogniseHead(outputs: readonly IoSpec[]): HeadFormat | undefined {
  if (centerNetOutput(outputs)) return 'centernet';
  if (outputs.length === 1 && outputs[0].shape.length === 3) return 'yolo';
  return undefined;
}

interface Head {
  /** The one output the decoder reads. */
  output: string;
  decode(output: TensorData, options: CenterNetDecodeOptions): RawDetection[];
}

function headFor(model: ModelContext): Head {
  const outputs = model.session.outputs;
  const format = model.output?.format ?? recogniseHead(outputs);
  const described = outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ');
  switch (format) {
    case 'yolo':
      return { output: outputs[0].name, decode: decodeYolo };
    case 'centernet': {
      const output = centerNetOutput(outputs);
      if (!output) throw new Error(`model ${model.alias} is declared CenterNet but has no detections [1, K, 6] output (it has ${described})`);
      return { output: output.name, decode: decodeCenterNet };
    }
    default:
      throw new Error(`model ${model.alias}: cannot tell how to decode its outputs (${described}); set output.format in its manifest`);
  }
}

/**
 * Detection: decode + resize (letterbox or stretch, per the manifest) → float tensor (NCHW or
 * NHWC) → model → head decoder (YOLO or CenterNet) + class-aware NMS → boxes in source pixels.
 */
export function createDetectPipeline(model: ModelContext): Pipeline<DetectParams, PreparedImage, DetectOutput> {
  const input = model.input;
  if (!input) throw new Error(`model ${model.alias} has no input spec in its manifest`);
  if (input.dtype !== 'float32') throw new Error(`detect feeds float32 input, not ${input.dtype}`);
  const decodeImage = imageDecoder(input, model.maxPixels);
  const head = headFor(model);
  const inputName = input.name ?? model.session.inputs[0].name;
  const transform = pixelTransform(input);
  const nhwc = input.layout === 'nhwc';
  const dims = nhwc ? [1, input.height, input.width, 3] : [1, 3, input.height, input.width];
  // One request at a time per worker, so one input buffer per model is reused for every request.
  const tensor = new Float32Array(3 * input.width * input.height);

  return {
    outputs: [head.output],

    decode: (input, _params, options) => decodeImage(requireImage(input), options),

    preview: (decoded) => decoded.preview,

    preprocess(decoded): Record<string, TensorData> {
      (nhwc ? hwcToFloat : hwcToChw)(decoded.data, input.width, input.height, transform, tensor);
      return { [inputName]: { type: 'float32', data: tensor, dims } };
    },

    postprocess(outputs, decoded, params): DetectOutput {
      const raw = head.decode(outputs[head.output], {
        conf: params.conf,
        iou: params.iou,
        maxDet: params.max_det,
        classIds: resolveClassIds(params.classes, model.labels),
      });
      const detections = raw.map((d) => {
        const box = decoded.toSource(d);
        return {
          label: model.labels[d.classId] ?? String(d.classId),
          class_id: d.classId,
          confidence: round4(d.confidence),
          box: { x1: round2(box.x1), y1: round2(box.y1), x2: round2(box.x2), y2: round2(box.y2) },
        };
      });
      return { width: decoded.width, height: decoded.height, detections };
    },
  };
}

export const detectTask: TaskDefinition<DetectParams, DetectOutput> = {
  name: 'detect',
  overlappable: true,
  input: 'image',
  params: DetectParams,
  createPipeline: createDetectPipeline,
};
