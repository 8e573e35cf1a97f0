import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../../test/helpers.js';
import type { OnnxFolderSession } from '../../runtimes/onnx-folder.js';
import { isOnnxFolderSession } from '../../runtimes/sessions.js';
import { onnxRuntime } from '../../runtimes/onnx.js';
import { StableDiffusion, guide } from './diffusion.js';
import { toInput } from './graph-io.js';
import { fromFloat16Bits } from '../../vision/float16.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/tiny-diffusion');
const dirs: string[] = [];

/** A copy of the tiny pipeline with some files changed or removed. */
function variant(change: (dir: string) => void): string {
  const dir = tempDir('argus-sd-');
  dirs.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  change(dir);
  return dir;
}

async function open(dir = FIXTURE): Promise<OnnxFolderSession> {
  const session = await onnxRuntime.load({ file: dir, threads: 1, provider: 'cpu' });
  if (!isOnnxFolderSession(session)) throw new Error('not a folder session');
  return session;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const request = { prompt: 'a cat', width: 64, height: 64, n: 1, steps: 3, seeds: [5], guidance: 0 };

describe('the onnx runtime on a folder of graphs', () => {
  it('opens every <component>/model.onnx and lists their inputs by component', async () => {
    const session = await open();
    expect([...session.graphs.keys()]).toEqual(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    expect(session.provider).toBe('cpu');
    expect(session.inputs.map((i) => i.name)).toContain('unet/encoder_hidden_states');
    await expect(session.run({})).rejects.toThrow(/graph by graph/);
    await session.release();
  });

  it('refuses a folder without graphs', async () => {
    const empty = variant((dir) => {
      for (const component of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) rmSync(join(dir, component), { recursive: true });
    });
    await expect(onnxRuntime.load({ file: empty, threads: 1, provider: 'cpu' })).rejects.toThrow(/without <component>\/model.onnx/);
  });
});

describe('StableDiffusion.load names what a folder lacks', () => {
  it('a missing UNet, scheduler config or tokenizer', async () => {
    await expect(StableDiffusion.load(await open(variant((dir) => rmSync(join(dir, 'unet'), { recursive: true }))))).rejects.toThrow(/no unet\/model.onnx/);
    await expect(StableDiffusion.load(await open(variant((dir) => rmSync(join(dir, 'scheduler'), { recursive: true }))))).rejects.toThrow(/scheduler_config.json/);
    await expect(StableDiffusion.load(await open(variant((dir) => rmSync(join(dir, 'tokenizer/vocab.json')))))).rejects.toThrow(/vocab.json/);
  });

  it('edits need a VAE encoder; without one the model still generates', async () => {
    const sd = await StableDiffusion.load(await open(variant((dir) => rmSync(join(dir, 'vae_encoder'), { recursive: true }))));
    expect(sd.canEdit).toBe(false);
    expect((await sd.generate(request)).images).toHaveLength(1);
  });

  it('reads the size multiple from unet/config.json when the export has one (64 for SD without it)', async () => {
    expect((await StableDiffusion.load(await open())).sizeMultiple).toBe(64);
    const withConfig = variant((dir) => writeFileSync(join(dir, 'unet/config.json'), JSON.stringify({ block_out_channels: [16, 32] })));
    expect((await StableDiffusion.load(await open(withConfig))).sizeMultiple).toBe(16);
  });
});

describe('sampling', () => {
  it('Euler ancestral draws its step noise from the seeds too: deterministic, and unlike plain Euler', async () => {
    const ancestralDir = variant((dir) => writeFileSync(join(dir, 'scheduler/scheduler_config.json'), JSON.stringify({
      _class_name: 'EulerAncestralDiscreteScheduler', beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012,
      num_train_timesteps: 1000, prediction_type: 'epsilon', timestep_spacing: 'trailing',
    })));
    const ancestral = await StableDiffusion.load(await open(ancestralDir));
    const euler = await StableDiffusion.load(await open());
    const [a, b, c] = [await ancestral.generate(request), await ancestral.generate(request), await euler.generate(request)];
    expect(Buffer.from(a.images[0].buffer).equals(Buffer.from(b.images[0].buffer))).toBe(true);
    expect(Buffer.from(a.images[0].buffer).equals(Buffer.from(c.images[0].buffer))).toBe(false);
  });

  it('image-to-image runs `steps` steps from the strength\'s noise level and reports the strength applied', async () => {
    const sd = await StableDiffusion.load(await open());
    const pixels = new Float32Array(3 * 64 * 64).fill(0.2);
    expect((await sd.generate({ ...request, steps: 1, init: { pixels, strength: 0.5 } })).strength).toBe(0.5);
    expect((await sd.generate({ ...request, steps: 2, init: { pixels, strength: 0.3 } })).strength).toBeCloseTo(2 / 7, 6);
    expect((await sd.generate({ ...request, steps: 2, init: { pixels, strength: 1 } })).strength).toBe(1);
  });

  it('stops between steps when the request is aborted', async () => {
    const sd = await StableDiffusion.load(await open());
    const controller = new AbortController();
    controller.abort();
    await expect(sd.generate({ ...request, signal: controller.signal })).rejects.toMatchObject({ code: 'request_cancelled' });
  });

  it('guidance: ε = ε_uncond + g·(ε_cond − ε_uncond)', () => {
    expect(Array.from(guide(Float32Array.from([1, 2, 3, 6]), 2, 2))).toEqual([5, 10]);
  });
});

describe('graph inputs in the declared element type', () => {
  const spec = (type: string) => ({ name: 'x', type, shape: [2] });
  it('float16 bits, truncated integers, float32 as is', () => {
    const values = Float32Array.from([999, -1.75]);
    const half = toInput(spec('float16'), values, [2]);
    expect(Array.from(half.data as Uint16Array, fromFloat16Bits)).toEqual([999, -1.75]);
    expect(Array.from(toInput(spec('int64'), values, [2]).data as BigInt64Array)).toEqual([999n, -1n]);
    expect(Array.from(toInput(spec('int32'), values, [2]).data as Int32Array)).toEqual([999, -1]);
    expect(toInput(spec('float32'), values, [2]).data).toBe(values);
    expect(() => toInput(spec('string'), values, [2])).toThrow(/element type string/);
  });
});
