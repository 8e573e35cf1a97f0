/**
 * Child process of a raw-model benchmark: one onnxruntime-node session, nothing else. It runs in
 * its own process, like the server's model workers, so "2 processes × 1 thread" is measured the
 * way the server would run it, and the parent's event loop never sits between runs.
 *
 * Protocol (IPC, advanced serialization so the tensor crosses as a typed array):
 *   parent → {type: 'load'} → child loads, warms up → {type: 'ready'}
 *   parent → {type: 'run'}  → child runs N times or for a fixed time → {type: 'done'}
 */
import ort from 'onnxruntime-node';
import type { TensorData } from '../../src/runtimes/types.js';

export interface LoadMessage {
  type: 'load';
  modelPath: string;
  threads: number;
  /** The model's (single) input; it is fed under the session's first input name. */
  input: TensorData;
  warmup: number;
}

export interface RunMessage {
  type: 'run';
  /** Stop after this many runs… */
  runs?: number;
  /** …or once this much time has passed (whichever is given). */
  durationMs?: number;
}

export type ToWorker = LoadMessage | RunMessage;

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'done'; latenciesMs: number[]; elapsedMs: number }
  | { type: 'error'; message: string };

let session: ort.InferenceSession | undefined;
let feeds: Record<string, ort.Tensor> = {};

function send(message: FromWorker): void {
  process.send?.(message);
}

async function load(message: LoadMessage): Promise<void> {
  const started = performance.now();
  // The same session options as src/runtimes/onnx.ts, so raw and served numbers compare.
  session = await ort.InferenceSession.create(message.modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: message.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const { type, data, dims } = message.input;
  feeds = { [session.inputNames[0]]: new ort.Tensor(type, data as never, dims) };
  for (let i = 0; i < message.warmup; i++) await session.run(feeds);
  send({ type: 'ready', loadMs: performance.now() - started });
}

async function run(message: RunMessage): Promise<void> {
  if (!session) throw new Error('run before load');
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = message.durationMs === undefined ? Infinity : started + message.durationMs;
  const maxRuns = message.runs ?? Infinity;
  while (latenciesMs.length < maxRuns && performance.now() < deadline) {
    const t0 = performance.now();
    await session.run(feeds);
    latenciesMs.push(performance.now() - t0);
  }
  send({ type: 'done', latenciesMs, elapsedMs: performance.now() - started });
}

process.on('message', (message: ToWorker) => {
  const work = message.type === 'load' ? load(message) : run(message);
  work.catch((error: unknown) => send({ type: 'error', message: (error as Error)?.message ?? String(error) }));
});

// An orphan would keep burning a core under the next benchmark: leave with the parent.
process.on('disconnect', () => process.exit(0));
