/**
 * A models directory for the classification, embedding and search tests: the real squeezenet and
 * ResNet18 files from ARGUS_MODELS_DIR, and the tiny Hugging Face folders this project generates
 * (scripts/make-tiny-clip.py, scripts/make-tiny-hf-classifier.py) placed where a pull would put
 * them, with user manifests pointing at them as a user's would at a real CLIP or ViT.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR, REPO_ROOT, tempDir } from './helpers.js';

export const FIXTURES = join(REPO_ROOT, 'test/fixtures');

const hub = (id: string, files: string[]) => ({ type: 'huggingface', id, files });
const CLIP_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** User manifests for the tiny models: the same shape as the built-in `clip`, `clip-embed` and `vit-base`. */
export const TINY_MANIFESTS = [
  { alias: 'tiny-clip', task: 'classify', runtime: 'transformers', licence: 'MIT', output: { format: 'clip' }, source: hub('argus-test/tiny-clip', [...CLIP_FILES, 'onnx/model.onnx']) },
  {
    alias: 'tiny-clip-embed', task: 'embed', runtime: 'transformers', licence: 'MIT', output: { format: 'clip' },
    source: hub('argus-test/tiny-clip', [...CLIP_FILES, 'onnx/text_model.onnx', 'onnx/vision_model.onnx']),
  },
  { alias: 'tiny-vit', task: 'classify', runtime: 'transformers', licence: 'MIT', output: { format: 'logits' }, source: hub('argus-test/tiny-vit', ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) },
  { alias: 'tiny-vit-embed', task: 'embed', runtime: 'transformers', licence: 'MIT', output: { format: 'embedding' }, source: hub('argus-test/tiny-vit', ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) },
];

export interface RecognitionModels {
  dir: string;
  remove(): void;
}

/** Builds the folder (symlinks, nothing copied); `remove` deletes it. */
export function recognitionModelsDir(): RecognitionModels {
  const dir = tempDir('argus-recognition-models-');
  for (const sub of ['classify', 'embed']) symlinkSync(join(MODELS_DIR, sub), join(dir, sub));
  mkdirSync(join(dir, 'huggingface/argus-test'), { recursive: true });
  for (const name of ['tiny-clip', 'tiny-vit']) symlinkSync(join(FIXTURES, name), join(dir, 'huggingface/argus-test', name));
  for (const manifest of TINY_MANIFESTS) writeFileSync(join(dir, `${manifest.alias}.json`), JSON.stringify(manifest, null, 2));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A solid-colour PNG. */
export async function solidPng(r: number, g: number, b: number, width = 40, height = 30): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/** Softmax of logits, as the zero-shot pipeline applies it. */
export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Cosine similarity. */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((v, i) => {
    dot += v * b[i];
    na += v * v;
    nb += b[i] * b[i];
  });
  return dot / Math.sqrt(na * nb);
}
