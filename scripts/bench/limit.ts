/**
 * The hardware limit of a model, measured the way Argus runs it: each session in its own child
 * process (limit-worker.ts) with Argus's runtime, session options and input tensor, so that "2
 * processes × 1 thread" is the split the server's two single-thread workers would have. Latency:
 * one process, runs one after another. Throughput: `processes` sessions flat out at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild, track } from './children.js';
import { startInterferenceMeter } from './cpu.js';
import type { LimitLoad, LimitReply } from './limit-worker.js';
import { summarize, type Summary } from './stats.js';

const ENTRY = fileURLToPath(new URL('./limit-worker.ts', import.meta.url));
const EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

export interface LimitTarget {
  alias: string;
  modelsDir: string;
  imageFile: string;
}

export interface LimitRun {
  processes: number;
  threads: number;
  batch: number;
  /** What was timed: one `session.run`, or (OCR) the whole in-process runner. */
  kind: 'session.run' | 'runner';
  /** Requests (images) per second over all processes: runs/s × batch. */
  imagesPerSec: number;
  /** Latency of one run (of the whole batch). */
  latencyMs: Summary;
  /** Cores used by processes outside the benchmark meanwhile: above ~0.2 the limit is too low. */
  otherCores: number;
}

class LimitWorker {
  kind: 'session.run' | 'runner' = 'session.run';
  private constructor(private readonly child: ChildProcess) {}

  static async start(target: LimitTarget, threads: number, batch: number, warmup: number): Promise<LimitWorker> {
    const child = track(fork(ENTRY, [], { execArgv: EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const worker = new LimitWorker(child);
    const load: LimitLoad = { type: 'load', ...target, threads, batch, warmup };
    child.send(load);
    worker.kind = (await worker.reply('ready')).kind;
    return worker;
  }

  async run(message: { runs?: number; durationMs?: number }): Promise<{ latenciesMs: number[]; elapsedMs: number }> {
    this.child.send({ type: 'run', ...message });
    return this.reply('done');
  }

  close(): Promise<void> {
    return stopChild(this.child, 2_000);
  }

  private reply<T extends LimitReply['type']>(type: T): Promise<Extract<LimitReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`limit worker exited (${signal ?? code}) while waiting for '${type}'`));
      this.child.once('exit', onExit);
      this.child.once('message', (message: LimitReply) => {
        this.child.off('exit', onExit);
        if (message.type === type) resolve(message as Extract<LimitReply, { type: T }>);
        else reject(new Error(message.type === 'error' ? `limit worker: ${message.message}` : `limit worker sent '${message.type}'`));
      });
    });
  }
}

/** One process, sequential runs after `warmup` until `runs` or `durationMs`, whichever comes first: the latency floor. */
export async function limitLatency(target: LimitTarget, threads: number, batch: number, stop: { runs: number; durationMs: number }, warmup = 5): Promise<LimitRun> {
  const worker = await LimitWorker.start(target, threads, batch, warmup);
  try {
    const others = startInterferenceMeter();
    const { latenciesMs, elapsedMs } = await worker.run(stop);
    return { processes: 1, threads, batch, kind: worker.kind, imagesPerSec: (latenciesMs.length * batch) / (elapsedMs / 1000), latencyMs: summarize(latenciesMs), otherCores: others.stop() };
  } finally {
    await worker.close();
  }
}

/** `processes` sessions flat out at once for `durationMs`: the most requests/s this split allows. */
export async function limitThroughput(target: LimitTarget, processes: number, threads: number, batch: number, durationMs: number, warmup = 3): Promise<LimitRun> {
  const workers = await Promise.all(Array.from({ length: processes }, () => LimitWorker.start(target, threads, batch, warmup)));
  try {
    const others = startInterferenceMeter();
    const results = await Promise.all(workers.map((w) => w.run({ durationMs })));
    const otherCores = others.stop();
    const runsPerSec = results.reduce((sum, r) => sum + r.latenciesMs.length / (r.elapsedMs / 1000), 0);
    return { processes, threads, batch, kind: workers[0].kind, imagesPerSec: runsPerSec * batch, latencyMs: summarize(results.flatMap((r) => r.latenciesMs)), otherCores };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
