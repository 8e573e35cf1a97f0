/**
 * A model worker process: loads one model, then runs requests for it, its session one at a time.
 * It decodes and preprocesses the image itself, so only encoded bytes cross the process boundary;
 * a request's decode starts when it arrives, overlapping the inference of the one before it. It
 * exits when its parent goes away, so a killed server leaves no orphans holding memory.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { ArgusError, errors, type ErrorBody } from '../errors.js';
import { onnxRuntime } from '../runtimes/onnx.js';
import { threadedOnnxRuntime } from '../runtimes/onnx-thread.js';
import { parseClassNames } from '../runtimes/onnx-metadata.js';
import { tfjsRuntime } from '../runtimes/tfjs.js';
import { transformersRuntime } from '../runtimes/transformers.js';
import type { Runtime, RuntimeSession } from '../runtimes/types.js';
import { runPipelineBatch } from '../tasks/batch.js';
import type { PreparedRun } from '../tasks/pipeline.js';
import type { TaskInput } from '../tasks/types.js';
import { COCO80 } from '../vision/coco.js';
import { thumbnailsFromPixels, type PreviewSource, type ThumbnailSides } from '../vision/thumbnail.js';
import { IMAGE_PIPE_FD, ImageFrames, readSpooled, type WireInput } from './image-pipe.js';
import { hostModel, requireTask, type HostedModel } from './model-host.js';
import type { LabelSource, ParentMessage, WorkerMessage, WorkerModelSpec } from './protocol.js';
import { round2 } from '../numbers.js';

type RunMessage = Extract<ParentMessage, { type: 'run' }>;
type BatchMessage = Extract<ParentMessage, { type: 'run-batch' }>;

const RUNTIMES: Record<string, Runtime> = { onnx: onnxRuntime, tfjs: tfjsRuntime, transformers: transformersRuntime };

let loaded: HostedModel | undefined;
/** How long a measured RSS is reported again before it is read anew. */
const RSS_REUSE_MS = 500;
let rssRead = { at: Number.NEGATIVE_INFINITY, bytes: 0 };

/**
 * This process's resident memory for a result message, read at most every half second: reading
 * it (/proc/self/stat) with every result cost 0.1–0.4 ms a request. The pool keeps the largest
 * figure it is sent, for the memory budget; a run's peak stays resident, so the next read has it.
 */
function recentRss(): number {
  const now = performance.now();
  if (now - rssRead.at >= RSS_REUSE_MS) rssRead = { at: now, bytes: process.memoryUsage.rss() };
  return rssRead.bytes;
}

/** What needs the session (loads, inference), in arrival order: a session runs one request at a time. */
let chain: Promise<void> = Promise.resolve();

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function errorBody(error: unknown): ErrorBody & { status?: number } {
  if (error instanceof ArgusError) return { ...error.toJSON(), status: error.status };
  return { code: 'internal_error', message: (error as Error)?.message ?? String(error), status: 500 };
}

async function resolveLabels(source: LabelSource, metadata: Readonly<Record<string, string>>): Promise<string[]> {
  switch (source.source) {
    case 'inline': return source.values;
    case 'coco80': return [...COCO80];
    case 'none': return [];
    case 'file': return (await readFile(source.path, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    case 'metadata': {
      const names = parseClassNames(metadata[source.key]);
      if (names) return names;
      if (source.fallback === 'coco80') return [...COCO80];
      throw new Error(`the model has no '${source.key}' metadata and its manifest gives no fallback labels`);
    }
  }
}

/**
 * A model file's bytes (runtimes that take them parse them once) and its sha256. A model folder
 * (transformers.js) is identified by its config.json, or by its file names and sizes without one:
 * hashing gigabytes of weights at every load would cost more than the load.
 */
async function fingerprint(path: string): Promise<{ bytes?: Buffer; sha256: string }> {
  const info = await stat(path);
  if (info.isFile()) {
    const bytes = await readFile(path);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  const hash = createHash('sha256');
  const config = join(path, 'config.json');
  if (await stat(config).then((s) => s.isFile(), () => false)) {
    hash.update(await readFile(config));
  } else {
    for (const entry of (await readdir(path, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
      const file = join(entry.parentPath, entry.name);
      hash.update(`${file.slice(path.length)}:${(await stat(file)).size}\n`);
    }
  }
  return { sha256: hash.digest('hex') };
}

async function load(spec: WorkerModelSpec): Promise<void> {
  const started = performance.now();
  // libvips threads count against the same core budget as the model's threads.
  sharp.concurrency(spec.threads);
  sharp.cache(false);
  const runtime = RUNTIMES[spec.runtime];
  if (!runtime) throw errors.modelUnavailable(spec.alias, `runtime '${spec.runtime}' is not available in this build.`);
  const task = requireTask(spec.alias, spec.task);
  let bytes: Buffer | undefined;
  let sha256: string;
  try {
    ({ bytes, sha256 } = await fingerprint(spec.file));
  } catch (error) {
    throw errors.modelUnavailable(spec.alias, `cannot read ${spec.file}: ${(error as Error).message}`);
  }
  // The model's own session runs on a thread where overlapping is wanted: in-process, a run holds
  // this thread and the next request could not even be read until it ends.
  const threaded = spec.overlap && task.overlappable === true && spec.runtime === 'onnx';
  let session: RuntimeSession;
  try {
    session = await (threaded ? threadedOnnxRuntime : runtime).load({ file: spec.file, bytes, threads: spec.threads, provider: spec.provider, requireProvider: spec.requireProvider });
  } catch (error) {
    throw errors.modelUnavailable(spec.alias, `loading ${spec.file} failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const labels = await resolveLabels(spec.labels, session.metadata);
  // Further models a task runs (OCR recognition, face attributes) get the same budget and provider.
  const loadSession = async (name: string, runtimeName = spec.runtime): Promise<RuntimeSession> => {
    const file = spec.files?.[name];
    const other = RUNTIMES[runtimeName];
    if (!file || !other) throw errors.modelUnavailable(spec.alias, `its manifest names no ${name} file or runtime '${runtimeName}' is missing.`);
    try {
      return await other.load({ file, bytes: await readFile(file), threads: spec.threads, provider: spec.provider, requireProvider: spec.requireProvider });
    } catch (error) {
      throw errors.modelUnavailable(spec.alias, `loading its ${name} file ${file} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  loaded = await hostModel(task, {
    alias: spec.alias, session, input: spec.input, output: spec.output, labels, maxPixels: spec.maxPixels, files: spec.files ?? {}, loadSession,
  });
  const batchable = loaded.batchPipeline !== undefined;
  send({
    type: 'ready',
    rss: process.memoryUsage.rss(),
    info: {
      provider: session.provider,
      fallbackReason: session.fallbackReason,
      sha256,
      labels: labels.length,
      inputs: [...session.inputs],
      outputs: [...session.outputs],
      load_ms: Math.round(performance.now() - started),
      batchable,
      overlaps: threaded && loaded.runner.overlaps && !batchable,
    },
  });
}

/** Runs not yet answered, so a `cancel` (which does not wait in the chain) can reach the one running. */
const running = new Map<number, AbortController>();

/** Image frames from the parent (image-pipe.ts); absent only when this process was started without the pipe. */
const frames = (() => {
  try {
    return new ImageFrames(new Socket({ fd: IMAGE_PIPE_FD, readable: true, writable: false }));
  } catch {
    return undefined;
  }
})();

async function wireInput(id: number, input: WireInput): Promise<TaskInput> {
  if (input.imageBytes === undefined) return input;
  if (input.imageFile !== undefined) return readSpooled({ ...input, imageFile: input.imageFile });
  if (!frames) throw new Error('an image was sent over the image pipe, but this worker has none');
  return frames.resolve(id, input);
}

/** Decodes a request as soon as it arrives (no session needed); resolves with when it was ready. */
async function prepare(message: RunMessage): Promise<{ prepared: PreparedRun; readyAt: number }> {
  const input = await wireInput(message.id, message.input);
  if (!loaded) throw new Error('run before load');
  return { prepared: await loaded.runner.prepare(input, message.params, { preview: message.preview !== undefined }), readyAt: performance.now() };
}

/** Runs a prepared request on the session (its turn in the chain) and answers it. */
async function finish(message: RunMessage, preparing: ReturnType<typeof prepare>, signal: AbortSignal): Promise<void> {
  const { id, params } = message;
  const turn = performance.now();
  const { prepared, readyAt } = await preparing;
  if (!loaded) throw new Error('run before load');
  const emit = message.partials ? (data: unknown) => send({ type: 'partial', id, data }) : undefined;
  const { output, timings, preview } = await loaded.runner.finish(prepared, params, { emit, signal });
  send({ type: 'result', id, output, timings, rss: recentRss(), waited_ms: round2(Math.max(0, turn - readyAt)) });
  if (message.preview) void sendPreview(id, preview, message.preview);
}

/** The history's images from the decoded pixels, made after the answer (libvips, off this thread) so they delay nothing. */
async function sendPreview(id: number, source: PreviewSource | undefined, sides: ThumbnailSides): Promise<void> {
  const thumbnails = source && (await thumbnailsFromPixels(source, sides).catch(() => undefined));
  send({ type: 'preview', id, thumbnails });
}

/** Runs requests as one batch; every request is answered on its own id, with the batch's size. */
async function runBatch(wired: BatchMessage['items']): Promise<void> {
  const items = await Promise.all(wired.map(async (item) => ({ ...item, input: await wireInput(item.id, item.input), preview: item.preview !== undefined })));
  if (!loaded?.batchPipeline) throw new Error('run-batch sent to a worker whose model cannot batch');
  const outcomes = await runPipelineBatch(loaded.batchPipeline, loaded.session, items);
  const rss = recentRss();
  outcomes.forEach((outcome, i) => {
    const { id, preview } = wired[i];
    if (outcome.ok) {
      send({ type: 'result', id, output: outcome.result.output, timings: outcome.result.timings, rss, batch: items.length });
      if (preview) void sendPreview(id, outcome.result.preview, preview);
    } else {
      send({ type: 'failed', id, error: errorBody(outcome.error) });
      if (preview) send({ type: 'preview', id, thumbnails: undefined });
    }
  });
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  if (message.type === 'run') {
    const controller = new AbortController();
    running.set(message.id, controller);
    const preparing = prepare(message);
    preparing.catch(() => undefined); // answered in its turn below, not as an unhandled rejection now
    chain = chain.then(() => finish(message, preparing, controller.signal).catch((error: unknown) => {
      send({ type: 'failed', id: message.id, error: errorBody(error) });
    })).finally(() => running.delete(message.id));
    return;
  }
  chain = chain.then(async () => {
    if (message.type === 'load') {
      await load(message.spec).catch((error: unknown) => {
        send({ type: 'load-failed', error: errorBody(error) });
        // A worker whose load failed is never reused: exit so the pool cannot hand it work.
        setImmediate(() => process.exit(1));
      });
    } else if (message.type === 'run-batch') {
      await runBatch(message.items).catch((error: unknown) => {
        for (const item of message.items) send({ type: 'failed', id: item.id, error: errorBody(error) });
      });
    }
  });
});

process.on('disconnect', () => process.exit(0));
