/**
 * The distributed section of `npm run bench`: yolov8n on bus.jpg served by an API node and worker
 * nodes over BullMQ (Redis) and PostgreSQL, beside the embedded server, in one run:
 *   - embedded: one `argus serve` (two single-thread model workers);
 *   - 1 API + 1 worker node (two single-thread model workers);
 *   - 1 API + 2 worker nodes (one single-thread model worker each);
 * at concurrency 1, 8 and 16, and the per-request cost of the queue hop (p50, distributed −
 * embedded: issue 21's targets are at most 3 ms at concurrency 1 and 5 ms at 16).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix } from '../../test/services.js';
import { atExit, stopChild, track } from './children.js';
import { runLoad, type LoadResult } from './http-load.js';
import { multipartBody } from './multipart.js';
import { fmt, markdownTable, pass, textTable, type Table } from './report.js';
import { TimingsCollector, type TimingBreakdown } from './server-timings.js';
import { startServer, waitUntilIdle, type BenchServer } from './server.js';

export interface DistributedSetup {
  name: string;
  connections: number;
  result: LoadResult;
  /** Median of the server-reported queue_ms (includes the hop in distributed mode). */
  queueMsP50: number;
  /** Medians of the server-reported stages, so a slower worker shows apart from the hop. */
  stages: TimingBreakdown;
}

export interface DistributedBenchResult {
  model: string;
  image: string;
  durationS: number;
  setups: DistributedSetup[];
  /** p50 of "1 API + 1 worker" − p50 of embedded, at concurrency 1. */
  hopOverheadMs: number;
  target: { limitMs: number; pass: boolean };
  /** The same at concurrency 16. */
  hopOverheadC16Ms: number;
  targetC16: { limitMs: number; pass: boolean };
}

interface Options {
  repoRoot: string;
  modelsDir: string;
  durationS: number;
  progress: (message: string) => void;
}

const MODEL = 'yolov8n';

/** Starts `argus worker` and resolves once it announces itself. */
export async function startWorker(options: Pick<Options, 'repoRoot' | 'modelsDir'>, env: Record<string, string>): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-bench-worker-'));
  atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--models', MODEL], {
    cwd: options.repoRoot,
    env: { ...process.env, ARGUS_MODELS_DIR: options.modelsDir, ARGUS_DATA_DIR: dataDir, ARGUS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let output = '';
  await new Promise<void>((ready, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Argus worker \S+ serving/.test(output)) ready();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`argus worker exited (${code}):\n${output}`)));
  });
  return async () => {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
}

async function measure(name: string, server: BenchServer, body: ReturnType<typeof multipartBody>, connections: number, durationS: number): Promise<DistributedSetup> {
  const timings = new TimingsCollector();
  // Warm every model worker first, so loading is not measured: on a busy machine a worker node's
  // first load can outlast one short round, so go on until answers come back (at most a minute).
  for (let round = 0; round < 20; round++) {
    const warm = await runLoad({ url: `${server.url}/v1/detect`, headers: { 'content-type': body.contentType }, body: body.body, connections: 4, durationS: 3 });
    if (warm.ok >= 4) break;
  }
  await waitUntilIdle(server.url).catch(() => undefined);
  const result = await runLoad({
    url: `${server.url}/v1/detect`,
    headers: { 'content-type': body.contentType },
    body: body.body,
    connections,
    durationS,
    onOkBody: timings.add,
  });
  const stages = timings.breakdown();
  return { name, connections, result, queueMsP50: stages.queue, stages };
}

export async function runDistributedBench(options: Options): Promise<DistributedBenchResult> {
  const imageFile = join(options.modelsDir, '../images/bus.jpg');
  const body = multipartBody([{ name: 'image', filename: 'bus.jpg', contentType: 'image/jpeg', data: readFileSync(imageFile) }, { name: 'model', value: MODEL }]);
  const setups: DistributedSetup[] = [];
  const connections = [1, 8, 16];

  options.progress('distributed: embedded baseline');
  const embedded = await startServer({ repoRoot: options.repoRoot, modelsDir: options.modelsDir });
  try {
    for (const c of connections) setups.push(await measure('embedded', embedded, body, c, options.durationS));
  } finally {
    await embedded.stop();
  }

  const redis = await redisForTests();
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const shared = { ARGUS_QUEUE_URL: redis.url, ARGUS_DB_URL: database.url, ARGUS_QUEUE_PREFIX: prefix };
  try {
    for (const [name, nodes, instances] of [['1 API + 1 worker', 1, 2], ['1 API + 2 workers', 2, 1]] as const) {
      options.progress(`distributed: ${name}`);
      const stops: Array<() => Promise<void>> = [];
      const workerEnv = { ...shared, ARGUS_MODELS: JSON.stringify({ [MODEL]: { instances } }) };
      for (let i = 0; i < nodes; i++) stops.push(await startWorker(options, workerEnv));
      const api = await startServer({ repoRoot: options.repoRoot, modelsDir: options.modelsDir, env: shared });
      try {
        for (const c of connections) setups.push(await measure(name, api, body, c, options.durationS));
      } finally {
        await api.stop();
        for (const stop of stops) await stop();
      }
    }
  } finally {
    await database.drop();
    await clearPrefix(redis.url, prefix);
    await redis.stop();
  }

  const p50 = (name: string, c = 1) => setups.find((s) => s.name === name && s.connections === c)!.result.latencyMs.p50;
  const hopOverheadMs = p50('1 API + 1 worker') - p50('embedded');
  const hopOverheadC16Ms = p50('1 API + 1 worker', 16) - p50('embedded', 16);
  return {
    model: MODEL,
    image: 'bus.jpg',
    durationS: options.durationS,
    setups,
    hopOverheadMs,
    target: { limitMs: 3, pass: hopOverheadMs <= 3 },
    hopOverheadC16Ms,
    targetC16: { limitMs: 5, pass: hopOverheadC16Ms <= 5 },
  };
}

function table(result: DistributedBenchResult): Table {
  return {
    headers: ['setup', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'queue_ms p50', 'decode p50', 'inference p50', 'pre + post p50', 'API overhead p50', 'non-2xx', 'errors'],
    rows: result.setups.map((s) => [
      s.name, s.connections, fmt(s.result.requestsPerSec), fmt(s.result.latencyMs.p50), fmt(s.result.latencyMs.p99), fmt(s.queueMsP50),
      fmt(s.stages.decode), fmt(s.stages.inference), fmt(s.stages.preprocess + s.stages.postprocess), fmt(s.stages.apiOverhead), s.result.non2xx, s.result.errors,
    ]),
  };
}

export function distributedText(result: DistributedBenchResult): string {
  return `\nDistributed mode (${result.model}, ${result.image}, ${result.durationS} s per phase)\n${textTable(table(result))}\n`
    + `queue hop overhead (p50 at c=1, distributed − embedded): ${fmt(result.hopOverheadMs)} ms (target ≤ ${result.target.limitMs} ms: ${pass(result.target.pass)})\n`
    + `queue hop overhead (p50 at c=16, distributed − embedded): ${fmt(result.hopOverheadC16Ms)} ms (target ≤ ${result.targetC16.limitMs} ms: ${pass(result.targetC16.pass)})\n`;
}

export function distributedMarkdown(result: DistributedBenchResult): string {
  return [
    '## Distributed mode (BullMQ + PostgreSQL)',
    '',
    `${result.model} on ${result.image}, autocannon closed loop, ${result.durationS} s per phase. "embedded" is one \`argus serve\` with two single-thread model workers; "1 API + 1 worker" is a stateless API node and one \`argus worker\` node with two single-thread model workers; "1 API + 2 workers" has two worker nodes with one model worker each. All on this one 2-core machine, so the nodes share its cores: the figures show the cost of the queue, not the gain of more machines. The stage columns are medians of what each answer's \`timings\` report: \`queue_ms\` holds the hop in distributed mode; a slower worker node shows in decode and inference.`,
    '',
    markdownTable(table(result)),
    '',
    `Queue hop overhead (p50 at concurrency 1, distributed − embedded): **${fmt(result.hopOverheadMs)} ms** (target at most ${result.target.limitMs} ms: ${pass(result.target.pass)}); at concurrency 16: **${fmt(result.hopOverheadC16Ms)} ms** (target at most ${result.targetC16.limitMs} ms: ${pass(result.targetC16.pass)}).`,
  ].join('\n');
}
