/**
 * Model inputs for raw benchmarks, built with the project's own preprocessing so the raw session
 * sees exactly the tensor the server would feed it for the same image.
 */
import sharp from 'sharp';
import { Catalog } from '../../src/models/catalog.js';
import type { Manifest } from '../../src/models/manifest.js';
import type { TensorData } from '../../src/runtimes/types.js';
import { pixelTransform, type InputSpec } from '../../src/tasks/types.js';
import { letterboxImage } from '../../src/vision/letterbox.js';
import { hwcToChw } from '../../src/vision/tensor.js';
import { summarize, type Summary } from './stats.js';

/** Same limit as the server's default `maxPixels`: the bench images are far below it. */
const MAX_PIXELS = 40_000_000;

export interface CatalogModel {
  manifest: Manifest;
  /** Absolute path of the model file. */
  path: string;
  /** Absolute paths of the manifest's extra files, by name. */
  files?: Record<string, string>;
}

/** A model's manifest and file, resolved the way the server resolves them; throws when missing. */
export function catalogModel(modelsDir: string, alias: string): CatalogModel {
  const catalog = new Catalog({ modelsDir });
  const manifest = catalog.require(alias);
  const availability = catalog.availability(manifest);
  if (!availability.available || !availability.path) throw new Error(`model ${alias}: ${availability.reason}`);
  return { manifest, path: availability.path, files: availability.files };
}

/** Letterbox (detection) input: decode + letterbox with sharp, then HWC uint8 → NCHW float32. */
export async function letterboxInput(image: Uint8Array, input: InputSpec): Promise<TensorData> {
  const { data } = await letterboxImage(image, input.width, input.height, input.pad, MAX_PIXELS);
  const tensor = hwcToChw(data, input.width, input.height, pixelTransform(input));
  return { type: 'float32', data: tensor, dims: [1, 3, input.height, input.width] };
}

export interface PreprocessTiming {
  /** Decode + orient + letterbox (sharp). */
  decodeMs: Summary;
  /** HWC uint8 → NCHW float32. */
  tensorMs: Summary;
}

/**
 * Times the detection preprocessing in this process with libvips set up as a model worker sets it
 * (one thread, no cache): the floor of the server's decode and preprocess stages.
 */
export async function measureLetterbox(image: Uint8Array, input: InputSpec, options: { warmup: number; runs: number }): Promise<PreprocessTiming> {
  sharp.concurrency(1);
  sharp.cache(false);
  const decode: number[] = [];
  const tensor: number[] = [];
  const out = new Float32Array(3 * input.width * input.height);
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const t0 = performance.now();
    const { data } = await letterboxImage(image, input.width, input.height, input.pad, MAX_PIXELS);
    const t1 = performance.now();
    hwcToChw(data, input.width, input.height, pixelTransform(input), out);
    const t2 = performance.now();
    if (i >= options.warmup) {
      decode.push(t1 - t0);
      tensor.push(t2 - t1);
    }
  }
  return { decodeMs: summarize(decode), tensorMs: summarize(tensor) };
}
