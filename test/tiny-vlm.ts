/**
 * A models directory for tests of the chat path: the real detectors from ARGUS_MODELS_DIR, and the
 * tiny random-weight SmolVLM from test/fixtures/tiny-vlm (scripts/make-tiny-vlm.py) placed where
 * `argus models pull vlm-fast` puts the real one. No VLM weights can be fetched here; the tiny
 * model has the real exports' file names, inputs and outputs, so the same code path runs.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR, REPO_ROOT, tempDir } from './helpers.js';

export const TINY_VLM_DIR = join(REPO_ROOT, 'test/fixtures/tiny-vlm');

/** A fresh models directory with the detectors and, unless `vlm` is false, the tiny VLM as vlm-fast. */
export function modelsDirWithTinyVlm(vlm = true): string {
  const dir = tempDir('argus-models-');
  symlinkSync(join(MODELS_DIR, 'detect'), join(dir, 'detect'));
  if (vlm) {
    mkdirSync(join(dir, 'huggingface/HuggingFaceTB'), { recursive: true });
    symlinkSync(TINY_VLM_DIR, join(dir, 'huggingface/HuggingFaceTB/SmolVLM-256M-Instruct'));
  }
  return dir;
}

/** A data URL of an image file's bytes. */
export function dataUrl(bytes: Uint8Array, mime = 'image/jpeg'): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** Reads a text/event-stream body into its `data:` payloads (JSON parsed, `[DONE]` kept as the string). */
export async function readEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split(/\n\n/)
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
    .filter(Boolean)
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}
