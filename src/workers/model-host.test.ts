import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { image, MODELS_DIR } from '../../test/helpers.js';
import { ArgusError } from '../errors.js';
import { onnxRuntime } from '../runtimes/onnx.js';
import type { RuntimeSession } from '../runtimes/types.js';
import { openUpstreamSession } from '../runtimes/upstream.js';
import type { ClassifyOutput } from '../tasks/params/classify.js';
import type { EmbedOutput } from '../tasks/params/embed.js';
import { hostModel, requireTask } from './model-host.js';

/** The host both worker processes and the API process's upstream models use, with real sessions. */
describe('model host', () => {
  const sessions: RuntimeSession[] = [];
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
  });
  async function open(path: string): Promise<RuntimeSession> {
    const file = join(MODELS_DIR, path);
    const session = await onnxRuntime.load({ file, bytes: readFileSync(file), threads: 1, provider: 'cpu' });
    sessions.push(session);
    return session;
  }

  it('names a task missing from the build as the model being unavailable', () => {
    expect(() => requireTask('m', 'teleport')).toThrow(ArgusError);
    expect(() => requireTask('m', 'teleport')).toThrow("Model 'm' is not available: task 'teleport' is not implemented.");
    expect(requireTask('m', 'classify').name).toBe('classify');
  });

  it('hosts a template pipeline: staged for overlapping, batchable only with a dynamic first axis, and runs a request', async () => {
    const squeezenet = await hostModel(requireTask('squeezenet', 'classify'), {
      alias: 'squeezenet', session: await open('classify/squeezenet1.0_fp16.onnx'), labels: [], maxPixels: 40_000_000,
      input: { width: 224, height: 224, resize: 'stretch', pad: 0, colour: 'bgr', scale: 1, dtype: 'float16', layout: 'nchw' },
      output: { format: 'probabilities' },
    });
    expect(squeezenet.runner.overlaps).toBe(true);
    expect(squeezenet.batchPipeline).toBeUndefined(); // [1, 3, 224, 224]
    const { output, timings } = await squeezenet.run({ image: image('bus.jpg') }, { top_k: 3 });
    expect((output as ClassifyOutput).predictions).toHaveLength(3);
    expect(Object.keys(timings)).toEqual(['decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms']);

    const resnet = await hostModel(requireTask('resnet18-embed', 'embed'), {
      alias: 'resnet18-embed', session: await open('embed/resnet18_random_seed0.onnx'), labels: [], maxPixels: 40_000_000,
      input: { name: 'pixel_values', width: 224, height: 224, resize: 'shorter-crop', resizeShorter: 256, pad: 0, colour: 'rgb', scale: 1 / 255, dtype: 'float32', layout: 'nchw' },
    });
    expect(resnet.batchPipeline).toBeDefined(); // ['batch', 3, 224, 224] → ['batch', 512]
    expect(((await resnet.run({ image: image('bus.jpg') }, { normalize: true, store: false })).output as EmbedOutput).dim).toBe(512);
  });

  it('refuses a template pipeline where only a runner can work (an upstream session is fed no tensors)', async () => {
    const session = await open('classify/squeezenet1.0_fp16.onnx');
    const hosting = hostModel(requireTask('m', 'classify'), {
      alias: 'm', session, labels: [], maxPixels: 1e6,
      input: { width: 224, height: 224, resize: 'stretch', pad: 0, colour: 'bgr', scale: 1, dtype: 'float16', layout: 'nchw' },
    }, { runnerOnly: "task 'classify' cannot be served by an upstream server." });
    await expect(hosting).rejects.toMatchObject({ code: 'model_unavailable', message: "Model 'm' is not available: task 'classify' cannot be served by an upstream server." });

    const upstream = await hostModel(requireTask('up', 'chat'), {
      alias: 'up', session: openUpstreamSession({ alias: 'up', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }), labels: [], maxPixels: 1e6,
    }, { runnerOnly: 'unused' });
    expect(upstream.runner.overlaps).toBe(false);
    expect(upstream.batchPipeline).toBeUndefined();
  });
});
