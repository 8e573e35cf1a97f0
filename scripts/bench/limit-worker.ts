/**
 * Child process of the "limit" measurement: one model loaded the way an Argus worker loads it
 * (same runtime, same session options, same task pipeline), fed the tensor Argus builds for the
 * benchmark image, then `session.run` timed alone: no HTTP, no IPC, no decode. A task that is not
 * one model run (OCR: detection, line crops, recognition) is timed as its whole in-process runner.
 *
 *   parent → {type: 'load'} → child loads, builds the input, warms up → {type: 'ready'}
 *   parent → {type: 'run'}  → child runs N times or for a fixed time → {type: 'done'}
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import Value from 'typebox/value';
import { onnxRuntime } from '../../src/runtimes/onnx.js';
import { tfjsRuntime } from '../../src/runtimes/tfjs.js';
import type { Runtime, RuntimeSession } from '../../src/runtimes/types.js';
import { stackFeeds } from '../../src/tasks/batch.js';
import { taskDefinition } from '../../src/tasks/table.js';
import { isRunner } from '../../src/tasks/types.js';
import { COCO80 } from '../../src/vision/coco.js';
import { catalogModel } from './inputs.js';
import type { RunMessage } from './raw-worker.js';

export interface LimitLoad {
  type: 'load';
  alias: string;
  modelsDir: string;
  imageFile: string;
  threads: number;
  /** Requests per run (models with a dynamic batch axis only). */
  batch: number;
  warmup: number;
}

export type LimitReply =
  | { type: 'ready'; kind: 'session.run' | 'runner' }
  | { type: 'done'; latenciesMs: number[]; elapsedMs: number }
  | { type: 'error'; message: string };

const RUNTIMES: Record<string, Runtime> = { onnx: onnxRuntime, tfjs: tfjsRuntime };
let work: (() => Promise<unknown>) | undefined;

function send(message: LimitReply): void {
  process.send?.(message);
}

async function labelsOf(manifest: ReturnType<typeof catalogModel>['manifest'], modelsDir: string): Promise<string[]> {
  const labels = manifest.labels;
  if (!labels) return [];
  if (labels.source === 'file') return (await readFile(join(modelsDir, labels.path), 'utf8')).split(/\r?\n/).filter(Boolean);
  if (labels.source === 'inline') return labels.values;
  return [...COCO80];
}

async function load(message: LimitLoad): Promise<void> {
  sharp.concurrency(message.threads);
  sharp.cache(false);
  const model = catalogModel(message.modelsDir, message.alias);
  const { manifest } = model;
  const runtime = RUNTIMES[manifest.runtime];
  const task = taskDefinition(manifest.task);
  if (!runtime || !task) throw new Error(`${message.alias}: runtime ${manifest.runtime} or task ${manifest.task} not available`);
  const spec = (file: string, bytes?: Uint8Array) => ({ file, bytes, threads: message.threads, provider: 'cpu' as const });
  const isFile = (await stat(model.path)).isFile();
  const session: RuntimeSession = await runtime.load(spec(model.path, isFile ? await readFile(model.path) : undefined));
  const pipeline = await task.createPipeline({
    alias: manifest.alias, session, input: manifest.input, output: manifest.output, labels: await labelsOf(manifest, message.modelsDir),
    maxPixels: 40_000_000, files: model.files ?? {},
    loadSession: async (name, runtimeName = manifest.runtime) => RUNTIMES[runtimeName].load(spec(model.files![name], await readFile(model.files![name]))),
  });
  const image = await readFile(message.imageFile);
  const params = Value.Default(task.params, {});
  if (isRunner(pipeline)) {
    work = () => pipeline.run({ image }, params);
  } else {
    const feeds = [];
    for (let i = 0; i < message.batch; i++) {
      // preprocess reuses one buffer per model: copy each request's tensors before the next.
      const feed = pipeline.preprocess(await pipeline.decode({ image }, params), params);
      feeds.push(Object.fromEntries(Object.entries(feed).map(([k, t]) => [k, { ...t, data: (t.data as Float32Array).slice() }])));
    }
    const batched = message.batch > 1 ? stackFeeds(feeds) : feeds[0];
    work = () => session.run(batched, pipeline.outputs);
  }
  for (let i = 0; i < message.warmup; i++) await work();
  send({ type: 'ready', kind: isRunner(pipeline) ? 'runner' : 'session.run' });
}

async function run(message: RunMessage): Promise<void> {
  if (!work) throw new Error('run before load');
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = message.durationMs === undefined ? Infinity : started + message.durationMs;
  const maxRuns = message.runs ?? Infinity;
  while (latenciesMs.length < maxRuns && performance.now() < deadline) {
    const t0 = performance.now();
    await work();
    latenciesMs.push(performance.now() - t0);
  }
  send({ type: 'done', latenciesMs, elapsedMs: performance.now() - started });
}

process.on('message', (message: LimitLoad | RunMessage) => {
  const job = message.type === 'load' ? load(message) : run(message);
  job.catch((error: unknown) => send({ type: 'error', message: (error as Error)?.stack ?? String(error) }));
});

process.on('disconnect', () => process.exit(0));
