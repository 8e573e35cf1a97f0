/**
 * A real Argus server for a benchmark: `argus serve` from the sources in a child process, on a
 * free port, with its own throw-away data directory. A child process rather than an in-process
 * server: it is what users run, and the load generator's event loop is then not the server's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { atExit, hasExited, stopChild, track } from './children.js';

export interface ServerOptions {
  /** The repository root (where src/cli/main.ts is). */
  repoRoot: string;
  modelsDir: string;
  /** Extra `ARGUS_*` settings. */
  env?: Record<string, string>;
  /** @defaultValue 'warn' (quiet: a log line per request would cost the server CPU under load) */
  logLevel?: string;
  /** @defaultValue 60000 */
  startTimeoutMs?: number;
}

export interface BenchServer {
  url: string;
  pid: number;
  /** What the server wrote to stdout and stderr (its last 64 KiB): warnings and errors at the default level. */
  output(): string;
  /** Stops it gracefully (SIGTERM, then SIGKILL) and removes its data directory. */
  stop(): Promise<void>;
}

const OUTPUT_KEEP = 64 * 1024;

/** A TCP port that was free a moment ago (the OS picks it; the server binds it right after). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done, fail) => probe.once('error', fail).listen(0, '127.0.0.1', done));
  const address = probe.address();
  await new Promise((done) => probe.close(done));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

export async function startServer(options: ServerOptions): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-bench-'));
  atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)], {
    cwd: options.repoRoot,
    env: {
      ...process.env,
      ARGUS_MODELS_DIR: options.modelsDir,
      ARGUS_DATA_DIR: dataDir,
      ARGUS_LOG_LEVEL: options.logLevel ?? 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url, child, options.startTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    await stopChild(child, 2_000);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: child.pid!,
    output: () => output,
    async stop() {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls GET /healthz until it answers 200; fails early, with the server's output, if it exits. */
async function waitUntilHealthy(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`argus serve exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`argus serve did not answer /healthz within ${timeoutMs} ms:\n${output()}`);
}

/** The parts of GET /healthz a benchmark reads. */
export interface Health {
  workers: Array<{ pid?: number; model: string; state: string; requests: number; rss_mb: number }>;
}

export async function getHealth(url: string): Promise<Health> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET /healthz answered ${response.status}`);
  return (await response.json()) as Health;
}

/** Workers of `model` that have loaded it (idle or busy). */
export async function readyWorkers(url: string, model: string): Promise<number> {
  const { workers } = await getHealth(url);
  return workers.filter((w) => w.model === model && (w.state === 'idle' || w.state === 'busy')).length;
}

/**
 * Waits until no worker is busy. A load generator that stops drops its in-flight requests, but the
 * server still computes them: the next measurement must not start on top of that leftover work.
 */
export async function waitUntilIdle(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { workers } = await getHealth(url);
    if (workers.every((w) => w.state !== 'busy')) return;
    await sleep(100);
  }
  throw new Error(`workers still busy after ${timeoutMs} ms`);
}

export interface WarmUpOptions {
  /** Path of the endpoint, e.g. '/v1/detect'. */
  path: string;
  body: Buffer;
  contentType: string;
  /** The model whose workers must be loaded. */
  model: string;
  /** Requests sent at once per round. @defaultValue 10 */
  concurrency?: number;
  /** @defaultValue 6 */
  maxRounds?: number;
}

export interface WarmUpResult {
  rounds: number;
  workers: number;
  /** Bodies of the last round's responses, for sanity checks. */
  bodies: string[];
}

/**
 * Sends rounds of concurrent requests until the model's worker count stops growing: the pool
 * spawns its first worker on demand and more only while work waits, so one round may not be
 * enough to load them all. Every response must be 2xx.
 */
export async function warmUp(url: string, options: WarmUpOptions): Promise<WarmUpResult> {
  const concurrency = options.concurrency ?? 10;
  const maxRounds = options.maxRounds ?? 6;
  let workers = 0;
  let bodies: string[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    bodies = await Promise.all(Array.from({ length: concurrency }, () => post(url + options.path, options.body, options.contentType)));
    const now = await readyWorkers(url, options.model);
    if (round > 1 && now === workers) return { rounds: round, workers, bodies };
    workers = now;
  }
  return { rounds: maxRounds, workers, bodies };
}

async function post(url: string, body: Buffer, contentType: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType }, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return text;
}
