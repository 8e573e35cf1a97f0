import { readFile } from 'node:fs/promises';
import type { ImageRawBase, LineImage } from '@gutenye/ocr-node';
import type { TensorData } from '../runtimes/types.js';
import { hwcToChw } from '../vision/tensor.js';
import { decodeRaw, resizeRaw, type RawImage } from '../vision/raw.js';
import { ctcDecode, parseDictionary, readingOrder } from './ocr-text.js';
import { OcrParams, type OcrOutput, type OcrLine } from './params/ocr.js';
import { requireImage, type ModelContext, type TaskDefinition, type TaskRunner } from './types.js';
import { round2, round4 } from '../numbers.js';
import { StageTimer } from './timing.js';

// PP-OCRv4 as PaddleOCR runs it (tools/infer/utility.py and the model configs): detection input
// normalised with ImageNet mean/std on BGR pixels, probability map binarised at 0.3; recognition
// input 48 px high, at least 320 wide, (x/255 − 0.5) / 0.5 on BGR pixels.
const DET_TRANSFORM = { scale: 1 / 255, mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const, bgr: true };
const REC_TRANSFORM = { scale: 1 / 255, mean: [0.5, 0.5, 0.5] as const, std: [0.5, 0.5, 0.5] as const, bgr: true };
const DET_THRESHOLD = 0.3;
const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
const STRIDE = 32;
/**
 * Lines are cropped from the image at up to this many times the detector's input size. The line
 * splitter copies its whole source into opencv.js once per line, so from a 40 MP photo each line
 * would copy 160 MB; a line the detector can find at its size is still sharp enough here for the
 * recogniser's 48 px. Measured on page.png enlarged to 4608 px (7 lines): line finding 610 → 510 ms.
 */
const CROP_SOURCE_FACTOR = 3;

type SplitIntoLineImages = (map: ImageRawBase, source: ImageRawBase) => Promise<LineImage[]>;

/**
 * The pieces of @gutenye/ocr-node that Argus uses, imported on first load (opencv.js is 10 MB of
 * JavaScript that workers of other tasks should not carry). Importing the package registers its
 * sharp-backed image class, which the line splitter builds its crops with.
 */
async function loadLineSplitter(): Promise<{ split: SplitIntoLineImages; ImageRaw: typeof ImageRawBase }> {
  const { ImageRawBase: ImageRaw } = await import('@gutenye/ocr-node');
  const { splitIntoLineImages } = await import('@gutenye/ocr-common/splitIntoLineImages');
  // opencv.js compiles its wasm after import; calling into it earlier throws.
  const cv = ((await import('@techstark/opencv-js')) as unknown as { default: { Mat?: unknown; onRuntimeInitialized?: () => void } }).default;
  if (!cv.Mat) await new Promise<void>((resolve) => { cv.onRuntimeInitialized = resolve; });
  return { split: splitIntoLineImages as SplitIntoLineImages, ImageRaw };
}

/**
 * Detection input size (PaddleOCR DetResizeForTest): the shorter side enlarged to `minSide` when
 * smaller, then the longer side shrunk to `maxSide` when larger, both rounded to multiples of 32.
 */
export function detectionSize(width: number, height: number, maxSide: number, minSide = 0): { width: number; height: number } {
  const k = Math.min(Math.max(1, minSide / Math.min(width, height)), maxSide / Math.max(width, height));
  const fit = (v: number) => Math.max(STRIDE, Math.round((v * k) / STRIDE) * STRIDE);
  return { width: fit(width), height: fit(height) };
}

/**
 * PP-OCRv4 text detection + recognition. Detection runs on the worker's session (the manifest's
 * source); recognition is a second session from the manifest's `files.recognition`, and the
 * character list is `files.dictionary`.
 *
 * The line finding (contours, unclip, minimum-area boxes, perspective crops) is
 * @gutenye/ocr-node's own. Its `Ocr.detect` as a whole is not used: measured on
 * ../shared/images/misc, it feeds both models un-normalised pixels, binarises at 0.03 instead of
 * 0.3 and never limits the detector's input size, and returns no line at all for text.png at any
 * scale, where the same models fed as PaddleOCR feeds them find the writing; it also reads images
 * by path and returns boxes in its resized image's pixels.
 */
export async function createOcrRunner(model: ModelContext): Promise<TaskRunner<OcrParams, OcrOutput>> {
  const { session, files, loadSession } = model;
  if (!files?.recognition || !files.dictionary || !loadSession) {
    throw new Error(`model ${model.alias} needs files.recognition and files.dictionary in its manifest`);
  }
  const [recognition, dictionary, splitter] = await Promise.all([
    loadSession('recognition'),
    readFile(files.dictionary, 'utf8').then(parseDictionary),
    loadLineSplitter(),
  ]);
  const detInput = session.inputs[0].name;
  const detOutput = session.outputs[0].name;
  const recInput = recognition.inputs[0].name;
  const recOutput = recognition.outputs[0].name;

  async function recognise(line: LineImage, clock: StageTimer): Promise<{ text: string; confidence: number }> {
    clock.restart();
    const crop = line.image;
    const image: RawImage = { data: Buffer.from(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength), width: crop.width, height: crop.height, channels: 4 };
    // Capped so that one absurdly long line cannot take the worker's memory (5120 px ≈ 100 characters).
    const width = Math.max(1, Math.min(Math.ceil((REC_HEIGHT * crop.width) / crop.height), 16 * REC_MIN_WIDTH));
    const padded = Math.max(REC_MIN_WIDTH, width);
    // Measured on page.png: bilinear enlargement of these small crops loses 8 of 54 word gaps
    // ("Thesemarkers"); lanczos3, cubic and mitchell lose none.
    const resized = await resizeRaw(image, width, REC_HEIGHT, { kernel: 'lanczos3' });
    // Normalised zeros to the right, as PaddleOCR pads a line narrower than the batch width.
    const tensor = new Float32Array(3 * REC_HEIGHT * padded);
    const planes = hwcToChw(resized.data, width, REC_HEIGHT, REC_TRANSFORM);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < REC_HEIGHT; y++) {
        const from = (c * REC_HEIGHT + y) * width;
        tensor.set(planes.subarray(from, from + width), (c * REC_HEIGHT + y) * padded);
      }
    }
    clock.lap('preprocess');
    const out = (await recognition.run({ [recInput]: { type: 'float32', data: tensor, dims: [1, 3, REC_HEIGHT, padded] } }, [recOutput]))[recOutput];
    clock.lap('inference');
    const decoded = ctcDecode(out.data as Float32Array, out.dims[1], out.dims[2], dictionary);
    clock.lap('postprocess');
    return decoded;
  }

  return {
    async run(input, params) {
      const clock = new StageTimer();
      const source = await decodeRaw(requireImage(input), model.maxPixels, 4);
      const size = detectionSize(source.width, source.height, params.max_side, params.min_side);
      const resized = await resizeRaw(source, size.width, size.height);
      clock.lap('decode');
      const feeds: Record<string, TensorData> = { [detInput]: { type: 'float32', data: hwcToChw(resized.data, size.width, size.height, DET_TRANSFORM), dims: [1, 3, size.height, size.width] } };
      clock.lap('preprocess');
      const probabilities = (await session.run(feeds, [detOutput]))[detOutput].data as Float32Array;
      clock.lap('inference');
      // The splitter wants an RGBA mask the size of the detector's input; passing the crop source
      // scales the boxes to its pixels and crops the lines from it.
      const mask = new Uint8Array(size.width * size.height * 4).fill(255);
      for (let i = 0; i < probabilities.length; i++) {
        if (!(probabilities[i] > DET_THRESHOLD)) mask[4 * i] = mask[4 * i + 1] = mask[4 * i + 2] = 0;
      }
      const shrink = Math.min(1, (CROP_SOURCE_FACTOR * Math.max(size.width, size.height)) / Math.max(source.width, source.height));
      const crops = shrink < 1
        ? await resizeRaw(source, Math.round(source.width * shrink), Math.round(source.height * shrink), { alpha: true })
        : source;
      const found = await splitter.split(
        new splitter.ImageRaw({ data: mask, width: size.width, height: size.height }),
        new splitter.ImageRaw({ data: crops.data, width: crops.width, height: crops.height }),
      );
      const sx = source.width / crops.width;
      const sy = source.height / crops.height;
      clock.lap('postprocess');

      const lines: OcrLine[] = [];
      for (const line of found) {
        const { text, confidence } = await recognise(line, clock);
        // min_confidence 0 asks for every region the detector found, even those nothing was read in.
        if (confidence < params.min_confidence || (!text.trim() && params.min_confidence > 0)) continue;
        const polygon = line.box.map(([x, y]) => [round2(x * sx), round2(y * sy)] as [number, number]);
        const xs = polygon.map((p) => p[0]);
        const ys = polygon.map((p) => p[1]);
        lines.push({
          text,
          confidence: round4(confidence),
          box: { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) },
          polygon,
        });
      }
      const rows = readingOrder(lines);
      const output: OcrOutput = {
        width: source.width,
        height: source.height,
        text: rows.map((row) => row.map((l) => l.text).join(' ')).join('\n'),
        lines: rows.flat(),
      };
      return { output, timings: clock.timings() };
    },
  };
}

export const ocrTask: TaskDefinition<OcrParams, OcrOutput> = {
  name: 'ocr',
  input: 'image',
  // Print under 8 px is not legible to the detector.
  minImageSide: 8,
  params: OcrParams,
  createPipeline: createOcrRunner,
};
