import type { TensorData } from '../runtimes/types.js';
import { shorterCropGeometry, shorterCropImage } from '../vision/crop.js';
import { float16ToFloat32 } from '../vision/float16.js';
import { decodeWhole, fitsFromWhole, letterboxGeometry, letterboxImage, type DecodedPixels, type FitPlan, type PixelSource } from '../vision/letterbox.js';
import { wholeImagePreview, type PreviewSource } from '../vision/thumbnail.js';
import { resizeImage } from '../vision/resize.js';
import { halfTables, hwcToChw, hwcToChwHalf, hwcToFloat, hwcToHalf } from '../vision/tensor.js';
import { pixelTransform, type DecodeOptions, type InputSpec, type ModelContext } from './types.js';

/** A model input's pixels, with what the history's preview can be made from when it was asked for. */
export interface DecodedImage extends DecodedPixels {
  preview?: PreviewSource;
}

/** How a whole-image model (classifier, embedder) is fed: decode as its manifest says, then one input tensor. */
export interface ImageTensorInput {
  /** The input's name in the model. */
  readonly name: string;
  /**
   * Decodes, orients and resizes (letterbox, stretch, or shorter side + centre crop) to the input
   * size; with `preview`, from the whole image decoded once, which it also returns for the preview.
   */
  decode(bytes: Uint8Array, options?: DecodeOptions): Promise<DecodedImage>;
  /** The model's input tensor for decoded pixels: float32 or float16, NCHW or NHWC. */
  tensor(pixels: DecodedPixels): TensorData;
}

/**
 * Fits a model input from an encoded image; when a preview is asked for and {@link fitsFromWhole}
 * allows, from the whole image decoded once, which is then also the preview's source. Elsewhere
 * the preview is left to the history's helper.
 */
export async function fitWithPreview<T extends DecodedPixels>(
  bytes: Uint8Array, maxPixels: number, fit: (source: PixelSource) => Promise<T>, plan: FitPlan, options?: DecodeOptions,
): Promise<T & { preview?: PreviewSource }> {
  if (!options?.preview || !(await fitsFromWhole(bytes, maxPixels, plan))) return fit(bytes);
  const whole = await decodeWhole(bytes, maxPixels);
  return { ...(await fit(whole)), preview: wholeImagePreview(whole) };
}

function decoder(input: InputSpec, maxPixels: number, alias: string): (bytes: Uint8Array, options?: DecodeOptions) => Promise<DecodedImage> {
  const { fit, plan } = fitter(input, maxPixels, alias);
  return (bytes, options) => fitWithPreview(bytes, maxPixels, fit, plan, options);
}

/** How the input is fitted from a source, and (for {@link fitsFromWhole}) how sharp resizes it then. */
function fitter(input: InputSpec, maxPixels: number, alias: string): { fit: (source: PixelSource) => Promise<DecodedPixels>; plan: FitPlan } {
  const { width, height } = input;
  switch (input.resize) {
    case 'letterbox':
      return {
        fit: (source) => letterboxImage(source, width, height, input.pad, maxPixels),
        plan: {
          resizeTo: (w, h) => {
            const g = letterboxGeometry(w, h, width, height);
            return { width: g.resizedWidth, height: g.resizedHeight };
          },
        },
      };
    case 'stretch':
      return { fit: (source) => resizeImage(source, width, height, maxPixels), plan: { resizeTo: () => ({ width, height }) } };
    case 'shorter-crop': {
      const shorter = input.resizeShorter ?? Math.max(width, height);
      if (shorter < Math.max(width, height)) {
        throw new Error(`model ${alias}: resizeShorter ${shorter} is smaller than its ${width}×${height} crop`);
      }
      return {
        fit: (source) => shorterCropImage(source, shorter, width, height, maxPixels),
        plan: {
          resizeTo: (w, h) => {
            const g = shorterCropGeometry(w, h, shorter, width, height);
            return { width: g.resizedWidth, height: g.resizedHeight };
          },
          // As PIL decodes at full size (crop.ts).
          fastShrinkOnLoad: false,
        },
      };
    }
  }
}

/** The image input of a model from its manifest's input spec; throws (a load error) when there is none. */
export function imageTensorInput(model: ModelContext): ImageTensorInput {
  const input = model.input;
  if (!input) throw new Error(`model ${model.alias} has no input spec in its manifest`);
  const name = input.name ?? model.session.inputs[0]?.name;
  if (!name) throw new Error(`model ${model.alias} declares no inputs`);
  return inputFromSpec(input, name, model.maxPixels, model.alias);
}

/** {@link imageTensorInput} from an input spec alone (benchmarks build raw inputs with it). */
export function inputFromSpec(input: InputSpec, name: string, maxPixels: number, alias: string): ImageTensorInput {
  const transform = pixelTransform(input);
  const nhwc = input.layout === 'nhwc';
  const dims = nhwc ? [1, input.height, input.width, 3] : [1, 3, input.height, input.width];
  // One request at a time per worker, so one buffer per model is reused for every request.
  const length = 3 * input.width * input.height;
  const decode = decoder(input, maxPixels, alias);
  if (input.dtype === 'float16') {
    const halves = new Uint16Array(length);
    const tables = halfTables(transform);
    return {
      name,
      decode,
      tensor: (pixels) => ({ type: 'float16', data: (nhwc ? hwcToHalf : hwcToChwHalf)(pixels.data, input.width, input.height, transform, tables, halves), dims }),
    };
  }
  const floats = new Float32Array(length);
  return {
    name,
    decode,
    tensor: (pixels) => ({ type: 'float32', data: (nhwc ? hwcToFloat : hwcToChw)(pixels.data, input.width, input.height, transform, floats), dims }),
  };
}

/** A float output as float32 values, whether the model returns float32 or float16 (raw bits). */
export function floatValues(tensor: TensorData): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  // onnxruntime gives float16 as raw bits in a Uint16Array where the runtime has no Float16Array.
  if (tensor.type === 'float16') return tensor.data instanceof Uint16Array ? float16ToFloat32(tensor.data) : Float32Array.from(tensor.data as ArrayLike<number>);
  throw new Error(`expected a float output, got ${tensor.type}`);
}
