import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGUS_CLI, IMAGES_DIR, MODEL_ROOTS, REPO_ROOT, tempDir } from './helpers.js';
import { cosine, FIXTURES, recognitionModelsDir, type RecognitionModels } from './recognition-models.js';

const run = promisify(execFile);
const out = tempDir('argus-cli-recognition-');
const clipReference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-clip.reference.json'), 'utf8')) as { prompts: string[]; text_embeds: number[][] };
let models: RecognitionModels;
/** Each command starts Argus from the TypeScript sources and loads a model: several seconds on a busy 2-core machine. */
const CLI_TIMEOUT_MS = 180_000;

beforeAll(() => {
  models = recognitionModelsDir();
});

afterAll(() => {
  models?.remove();
  rmSync(out, { recursive: true, force: true });
});

function argus(...args: string[]) {
  return run(process.execPath, [ARGUS_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ARGUS_MODELS_DIR: models.dir, ARGUS_MODEL_ROOTS: MODEL_ROOTS.join(','), ARGUS_DATA_DIR: join(out, 'data') },
  });
}

describe('argus classify and argus embed', () => {
  it('classify prints the top classes', async () => {
    const { stdout } = await argus('classify', join(IMAGES_DIR, 'bus.jpg'), '--top-k', '2');
    expect(stdout).toMatch(/model squeezenet/);
    expect(stdout).toMatch(/^\s+0\.\d{4}\s+minibus \(654\)$/m);
    expect(stdout.trim().split('\n')).toHaveLength(3);
  }, CLI_TIMEOUT_MS);

  it('classify --labels runs zero-shot with a CLIP model (--json: the API shape), and refuses labels for others', async () => {
    const { stdout } = await argus('classify', join(FIXTURES, 'tiny-clip.png'), '-m', 'tiny-clip', '--labels', clipReference.prompts.join(','), '--json');
    const result = JSON.parse(stdout);
    expect(result.model.alias).toBe('tiny-clip');
    expect(result.predictions.map((p: { label: string }) => p.label).sort()).toEqual([...clipReference.prompts].sort());
    await expect(argus('classify', join(IMAGES_DIR, 'bus.jpg'), '--labels', 'a,b')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no labels') });
    await expect(argus('classify', join(IMAGES_DIR, 'bus.jpg'), '--top-k', '0')).rejects.toMatchObject({ stderr: expect.stringContaining('--top-k') });
  }, CLI_TIMEOUT_MS);

  it('embed prints an image vector, --text a CLIP text vector, and refuses text for an image-only model', async () => {
    const image = await argus('embed', join(IMAGES_DIR, 'bus.jpg'));
    const [header, values] = image.stdout.trim().split('\n');
    expect(header).toMatch(/512-d embedding, model resnet18-embed, L2-normalised/);
    expect(values.split(' ')).toHaveLength(512);
    const text = JSON.parse((await argus('embed', '--text', clipReference.prompts[2], '-m', 'tiny-clip-embed', '--json')).stdout);
    expect(cosine(text.embedding, clipReference.text_embeds[2])).toBeGreaterThan(0.99999);
    await expect(argus('embed', '--text', 'a bus')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('images only') });
    await expect(argus('embed')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('one of them') });
  }, CLI_TIMEOUT_MS);
});
