/**
 * Raw model speed: onnxruntime-node `InferenceSession.run` on a prepared tensor, with no HTTP,
 * no decode and no IPC of images. It is the floor the server's latency is compared against and
 * the ceiling of its throughput. Each session lives in its own child process (raw-worker.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TensorData } from '../../src/runtimes/types.js';
import { stopChild, track } from './children.js';
import type { FromWorker, RunMessage } from './raw-worker.js';
import { summarize, type Summary } from './stats.js';

const WORKER_ENTRY = fileURLToPath(new URL('./raw-worker.ts', import.meta.url));
// The worker is TypeScript: it needs tsx's loader, whatever flags this process was started with.
const EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

export interface RawModel {
  modelPath: string;
  /** The model's single input, already preprocessed. */
  input: TensorData;
}

export interface LatencyOptions {
  threads: number;
  /** Runs before timing starts (first runs allocate and tune). */
  warmup: number;
  runs: number;
}

export interface RawLatency {
  threads: number;
  warmup: number;
  latencyMs: Summary;
}

export interface ThroughputOptions {
  processes: number;
  threads: number;
  warmup: number;
  durationMs: number;
}

export interface RawThroughput {
  processes: number;
  threads: number;
  durationS: number;
  runs: number;
  runsPerSec: number;
  /** Latency of each run while all processes competed for the cores. */
  latencyMs: Summary;
}

/** A loaded, warmed-up session in a child process. */
class RawWorker {
  private constructor(private readonly child: ChildProcess) {}

  static async start(model: RawModel, threads: number, warmup: number): Promise<RawWorker> {
    const child = track(fork(WORKER_ENTRY, [], { execArgv: EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const worker = new RawWorker(child);
    child.send({ type: 'load', modelPath: model.modelPath, threads, input: model.input, warmup });
    await worker.reply('ready');
    return worker;
  }

  async run(message: Omit<RunMessage, 'type'>): Promise<{ latenciesMs: number[]; elapsedMs: number }> {
    this.child.send({ type: 'run', ...message });
    return this.reply('done');
  }

  close(): Promise<void> {
    return stopChild(this.child, 2_000);
  }

  /** The child's next message, which must be of type `type`; a crash or an error rejects. */
  private reply<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`raw worker exited (${signal ?? code}) while waiting for '${type}'`));
      this.child.once('exit', onExit);
      this.child.once('message', (message: FromWorker) => {
        this.child.off('exit', onExit);
        if (message.type === type) resolve(message as Extract<FromWorker, { type: T }>);
        else reject(new Error(message.type === 'error' ? `raw worker: ${message.message}` : `raw worker sent '${message.type}', expected '${type}'`));
      });
    });
  }
}

/** Sequential latency of one session: warm-up, then `runs` timed runs one after another. */
export async function measureLatency(model: RawModel, options: LatencyOptions): Promise<RawLatency> {
  const worker = await RawWorker.start(model, options.threads, options.warmup);
  try {
    const { latenciesMs } = await worker.run({ runs: options.runs });
    return { threads: options.threads, warmup: options.warmup, latencyMs: summarize(latenciesMs) };
  } finally {
    await worker.close();
  }
}

/**
 * Runs/s of `processes` sessions running flat out at once for a fixed time: the most requests per
 * second any server could get from this model with that split of the cores.
 */
export async function measureThroughput(model: RawModel, options: ThroughputOptions): Promise<RawThroughput> {
  // Load and warm every session first, so that all of them start the timed part together.
  const workers = await Promise.all(Array.from({ length: options.processes }, () => RawWorker.start(model, options.threads, options.warmup)));
  try {
    const results = await Promise.all(workers.map((w) => w.run({ durationMs: options.durationMs })));
    const latencies = results.flatMap((r) => r.latenciesMs);
    // Each process's own rate, summed: a process whose last run overshot the deadline is not
    // credited with runs it did not finish in the time it was measured for.
    const runsPerSec = results.reduce((sum, r) => sum + r.latenciesMs.length / (r.elapsedMs / 1000), 0);
    return {
      processes: options.processes,
      threads: options.threads,
      durationS: options.durationMs / 1000,
      runs: latencies.length,
      runsPerSec,
      latencyMs: summarize(latencies),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
