import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../../test/helpers.js';
import { ArgusError } from '../errors.js';
import { onnxRuntime } from '../runtimes/onnx.js';
import { transformersRuntime } from '../runtimes/transformers.js';
import type { RuntimeSession } from '../runtimes/types.js';
import { openUpstreamSession } from '../runtimes/upstream.js';
import { chatFamilies, chatTask } from './chat.js';
import { classifyFamilies, classifyTask } from './classify.js';
import { embedFamilies, embedTask } from './embed.js';
import { familyFor, familyPipeline, type TaskFamily } from './family.js';
import { generateFamilies, generateTask } from './generate/task.js';
import { isRunner, type ModelContext, type OutputSpec, type TaskDefinition } from './types.js';

/**
 * Which family serves which model, with real sessions: an ONNX classifier, a folder of ONNX graphs
 * (the tiny Stable Diffusion fixture), a transformers.js folder (tiny ViT; its load only records
 * where the folder is) and upstream sessions (HTTP clients: nothing is contacted until a request).
 */
describe('task families', () => {
  const sessions: RuntimeSession[] = [];
  let onnx: RuntimeSession;
  let folder: RuntimeSession;
  let transformers: RuntimeSession;
  const openai = openUpstreamSession({ alias: 'up', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', kind: 'openai' });
  const hfInference = openUpstreamSession({ alias: 'up', baseUrl: 'http://127.0.0.1:9', model: 'm', kind: 'hf-inference' });

  beforeAll(async () => {
    const file = join(MODELS_DIR, 'classify/squeezenet1.0_fp16.onnx');
    onnx = await onnxRuntime.load({ file, bytes: readFileSync(file), threads: 1, provider: 'cpu' });
    folder = await onnxRuntime.load({ file: join(REPO_ROOT, 'test/fixtures/tiny-diffusion'), threads: 1, provider: 'cpu' });
    transformers = await transformersRuntime.load({ file: join(REPO_ROOT, 'test/fixtures/tiny-vit'), threads: 1, provider: 'cpu' });
    sessions.push(onnx, folder, transformers);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
  });

  const model = (session: RuntimeSession, format?: OutputSpec['format']): ModelContext => ({
    alias: 'm',
    session,
    output: format ? { format } : undefined,
    labels: [],
    maxPixels: 10_000_000,
    input: { width: 224, height: 224, resize: 'stretch', pad: 0, colour: 'rgb', scale: 1 / 255, dtype: 'float16', layout: 'nchw' },
  });
  const chosen = <P, O>(families: readonly TaskFamily<P, O>[], context: ModelContext) => familyFor(families, context)?.name;
  /** What `createPipeline` throws (synchronously or as a rejection). */
  const refusal = async (task: TaskDefinition, context: ModelContext) => {
    try {
      await task.createPipeline(context);
    } catch (error) {
      return error as Error;
    }
    throw new Error('createPipeline accepted the model');
  };

  it('chat: upstream servers and transformers.js models; anything else is refused with the clear error', async () => {
    expect(chosen(chatFamilies, model(openai))).toBe('upstream');
    expect(chosen(chatFamilies, model(transformers))).toBe('transformers');
    expect(chosen(chatFamilies, model(onnx))).toBeUndefined();
    expect((await refusal(chatTask, model(onnx))).message).toBe('chat runs on the transformers or upstream runtime; model m has neither');
    const work = await chatTask.createPipeline(model(openai));
    expect(isRunner(work)).toBe(true);
  });

  it('classify: each kind of model gets its family, first match wins, and no family means the clear error', async () => {
    expect(chosen(classifyFamilies, model(hfInference))).toBe('hf-inference upstream');
    expect(chosen(classifyFamilies, model(transformers, 'clip'))).toBe('transformers zero-shot');
    expect(chosen(classifyFamilies, model(transformers))).toBe('transformers');
    expect(chosen(classifyFamilies, model(transformers, 'probabilities'))).toBe('transformers');
    expect(chosen(classifyFamilies, model(onnx))).toBe('onnx');
    expect(chosen(classifyFamilies, model(onnx, 'logits'))).toBe('onnx');

    expect(chosen(classifyFamilies, model(openai))).toBeUndefined();
    expect((await refusal(classifyTask, model(openai))).message).toBe('model m: classification upstreams speak the Hugging Face Inference API (source.kind "hf-inference")');
    expect(chosen(classifyFamilies, model(onnx, 'clip'))).toBeUndefined();
    expect((await refusal(classifyTask, model(onnx, 'clip'))).message).toBe('model m: zero-shot (clip) classification runs on the transformers runtime');

    // The family builds the work: a template pipeline for the ONNX classifier, a runner for the upstream.
    expect(isRunner(await classifyTask.createPipeline(model(onnx)))).toBe(false);
    expect(isRunner(await classifyTask.createPipeline(model(hfInference)))).toBe(true);
  });

  it('embed: transformers.js models, else a pooled ONNX output; CLIP outside transformers.js is refused', async () => {
    expect(chosen(embedFamilies, model(transformers))).toBe('transformers');
    expect(chosen(embedFamilies, model(transformers, 'clip'))).toBe('transformers');
    expect(chosen(embedFamilies, model(onnx))).toBe('onnx');
    expect(chosen(embedFamilies, model(onnx, 'clip'))).toBeUndefined();
    expect((await refusal(embedTask, model(onnx, 'clip'))).message).toBe('model m: CLIP embeddings run on the transformers runtime');
  });

  it('generate: upstream servers and Stable Diffusion folders; a single graph is a 503 naming what generate runs', async () => {
    expect(chosen(generateFamilies, model(openai))).toBe('upstream');
    expect(chosen(generateFamilies, model(folder))).toBe('stable-diffusion onnx folder');
    expect(chosen(generateFamilies, model(onnx))).toBeUndefined();
    expect(chosen(generateFamilies, model(transformers))).toBeUndefined();
    const error = await refusal(generateTask, model(onnx));
    expect(error).toBeInstanceOf(ArgusError);
    expect(error).toMatchObject({ code: 'model_unavailable', status: 503 });
    expect(error.message).toMatch(/^Model 'm' is not available: generate runs a Stable Diffusion ONNX folder .* or an upstream server, and this is neither\.$/);
    expect(isRunner(await generateTask.createPipeline(model(folder)))).toBe(true);
  });

  it('familyPipeline asks the families in order and builds with the first that accepts', () => {
    const built: string[] = [];
    const family = (name: string, accepts: boolean): TaskFamily<unknown, unknown> => ({
      name,
      accepts: () => accepts,
      create: () => {
        built.push(name);
        return { run: () => Promise.reject(new Error('not run')) };
      },
    });
    const create = familyPipeline([family('no', false), family('first', true), family('second', true)], () => new Error('none'));
    void create(model(onnx));
    expect(built).toEqual(['first']);
    expect(() => familyPipeline([family('no', false)], (m) => new Error(`none for ${m.alias}`))(model(onnx))).toThrow('none for m');
  });
});
