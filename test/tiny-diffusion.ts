/**
 * The tiny Stable Diffusion stand-in (test/fixtures/tiny-diffusion, made by
 * scripts/make-tiny-diffusion.py with the real export's layout and names) placed in a models
 * directory where a Hugging Face pull would put it, with its manifest. No diffusion weights can be
 * fetched here; the same loading and generation code runs on it.
 */
import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers.js';

export const TINY_DIFFUSION_DIR = join(REPO_ROOT, 'test/fixtures/tiny-diffusion');

/** Every file under a folder, relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).map((f) => relative(dir, join(dir, f)));
}

/** Adds the tiny pipeline to `modelsDir` under `alias` (Hugging Face id argus-test/<alias>). */
export function addTinyDiffusion(modelsDir: string, alias = 'tiny-sd'): void {
  cpSync(TINY_DIFFUSION_DIR, join(modelsDir, `huggingface/argus-test/${alias}`), { recursive: true });
  writeFileSync(join(modelsDir, `${alias}.json`), JSON.stringify({
    alias,
    task: 'generate',
    runtime: 'onnx',
    description: 'Random-weight stand-in with the layout of onnxruntime/sd-turbo',
    source: { type: 'huggingface', id: `argus-test/${alias}`, files: filesUnder(TINY_DIFFUSION_DIR) },
    licence: 'MIT',
    memoryMb: 150,
    threads: 1,
    instances: 1,
  }));
}
