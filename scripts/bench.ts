/**
 * Object-detection benchmark (`npm run bench`): how fast the model is on its own, how fast Argus
 * serves it over HTTP, and whether the gap between the two is within target. One run measures:
 *   1. raw onnxruntime latency (1 and 2 intra-op threads), the throughput limit of each way to
 *      split the cores (2 processes × 1 thread, 1 process × 2 threads), and the decode floor;
 *   2. POST /v1/detect end to end under autocannon at 1, 8 and 16 connections;
 *   3. GET /healthz latency while the 16-connection load saturates the workers;
 *   4. the server's own per-stage timings;
 *   5. the targets, PASS or MISS.
 * Prints a report, writes bench-results/detect.json and the detection section of docs/benchmarks.md.
 * Then the embeddings section (scripts/bench/embed.ts): squeezenet and resnet18-embed raw vs end to
 * end, and resnet18-embed beside the PyTorch peer; bench-results/embeddings.json and its own section.
 * Then the OCR section (scripts/bench/ocr.ts): PP-OCRv4 on page.png, raw models vs in process vs
 * end to end; bench-results/ocr.json and its own section.
 *
 * Environment: BENCH_DURATION_S (seconds per HTTP phase and per raw throughput run, default 15),
 * BENCH_RAW_RUNS (timed sequential runs, default 100), ARGUS_MODELS_DIR (default ../shared/models),
 * BENCH_ONLY (comma-separated sections to run: serving, distributed, detect, embeddings, ocr, deepstack; default
 * serving and distributed), and for `serving`: BENCH_MODELS, BENCH_CONNECTIONS, BENCH_SKIP,
 * BENCH_RAW_DURATION_S (see servingBench below). `serving` and `distributed` default to 8 s phases.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { probeImage } from '../src/vision/image.js';
import { detectMarkdown, detectText, splitName, type DetectBenchResult, type HttpPhase, type Target } from './bench/detect-report.js';
import { metered, startCpuMeter, type Metered } from './bench/cpu.js';
import { runLoad } from './bench/http-load.js';
import { catalogModel, letterboxInput, measureLetterbox } from './bench/inputs.js';
import { machineFacts } from './bench/machine.js';
import { multipartBody } from './bench/multipart.js';
import { startProbe, type ProbeResult } from './bench/probe.js';
import { measureLatency, measureThroughput, type RawLatency, type RawModel, type RawThroughput } from './bench/raw.js';
import { writeJson, writeMarkdownSection } from './bench/report.js';
import { getHealth, startServer, waitUntilIdle, warmUp, type BenchServer } from './bench/server.js';
import { TimingsCollector } from './bench/server-timings.js';
import { runEmbeddingsBench, TARGET_RATIO } from './bench/embed.js';
import { embedMarkdown, embedTargets, embedText } from './bench/embed-report.js';
import { ocrMarkdown, ocrText, runOcrBench } from './bench/ocr.js';
import { distributedMarkdown, distributedText, runDistributedBench } from './bench/distributed.js';
import { deepstackMarkdown, runDeepStackBench } from './bench/deepstack.js';
import { runServingBench, SERVING_MODELS } from './bench/serving.js';
import { servingMarkdown, servingTargets, servingText, throughputSvg } from './bench/serving-report.js';
import { writeFileSync } from 'node:fs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = 'yolov8n';
const THREAD_COUNTS = [1, 2];
/** [processes, threads] splits of the 2 cores compared for throughput. */
const SPLITS: Array<[number, number]> = [[2, 1], [1, 2]];
const CONNECTIONS = [1, 8, 16];
/** The phase during which /healthz is sampled: the heaviest, so the workers are surely saturated. */
const PROBE_DURING = 16;
const HEALTHZ_INTERVAL_MS = 50;
/** How long /healthz is sampled with the server idle, as the baseline for the loaded figure. */
const HEALTHZ_IDLE_MS = 3_000;

const TARGET_LATENCY_GAP_MS = 15;
const TARGET_THROUGHPUT_SHARE = 0.9;
const TARGET_HEALTHZ_P99_MS = 50;

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not '${raw}'`);
  return value;
}

function readSettings() {
  const durationS = positiveNumber('BENCH_DURATION_S', 15);
  const modelsDir = resolve(REPO_ROOT, process.env.ARGUS_MODELS_DIR || '../shared/models');
  return {
    durationS,
    rawDurationS: durationS,
    rawRuns: Math.round(positiveNumber('BENCH_RAW_RUNS', 100)),
    rawWarmup: 10,
    healthzIntervalMs: HEALTHZ_INTERVAL_MS,
    modelsDir,
    imageFile: join(dirname(modelsDir), 'images', 'bus.jpg'),
  };
}

type Settings = ReturnType<typeof readSettings>;

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function measureRaw(model: RawModel, settings: Settings): Promise<Omit<DetectBenchResult['raw'], 'preprocess'>> {
  const latency: Array<Metered<RawLatency>> = [];
  for (const threads of THREAD_COUNTS) {
    progress(`raw latency, ${threads} thread(s), ${settings.rawRuns} runs`);
    latency.push(await metered(() => measureLatency(model, { threads, warmup: settings.rawWarmup, runs: settings.rawRuns })));
  }
  const throughput: Array<Metered<RawThroughput>> = [];
  for (const [processes, threads] of SPLITS) {
    progress(`raw throughput, ${splitName(processes, threads)}, ${settings.rawDurationS} s`);
    throughput.push(await metered(() => measureThroughput(model, { processes, threads, warmup: settings.rawWarmup, durationMs: settings.rawDurationS * 1000 })));
  }
  const bestLatency = latency.reduce((a, b) => (b.latencyMs.p50 < a.latencyMs.p50 ? b : a));
  const fastest = throughput.reduce((a, b) => (b.runsPerSec > a.runsPerSec ? b : a));
  return { latency, throughput, bestLatencyThreads: bestLatency.threads, fasterSplit: splitName(fastest.processes, fastest.threads) };
}

interface DetectRequest {
  body: Buffer;
  contentType: string;
}

/** Fails the run if the server answers without detections: a fast wrong answer is not a result. */
function checkDetections(body: string): void {
  const detections = (JSON.parse(body) as { detections?: unknown[] }).detections;
  if (!Array.isArray(detections) || detections.length === 0) throw new Error(`detect returned no detections for the bus image: ${body.slice(0, 300)}`);
}

async function measurePhase(server: BenchServer, request: DetectRequest, connections: number, durationS: number): Promise<HttpPhase> {
  const timings = new TimingsCollector();
  const workerPids = (await getHealth(server.url)).workers.flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  const cpu = startCpuMeter({ http: [server.pid], workers: workerPids, client: [process.pid] });
  const { otherCores, ...load } = await metered(() => runLoad({
    url: `${server.url}/v1/detect`,
    headers: { 'content-type': request.contentType },
    body: request.body,
    connections,
    durationS,
    onOkBody: timings.add,
  }));
  const cpuCores = cpu.stop();
  if (timings.malformed > 0) progress(`warning: ${timings.malformed} 2xx responses at c=${connections} had no usable timings`);
  return { load, cpuCores, otherCores, server: timings.breakdown(), malformedBodies: timings.malformed };
}

async function measureHttp(server: BenchServer, request: DetectRequest, settings: Settings): Promise<DetectBenchResult['http']> {
  progress('warming up the server');
  const warm = await warmUp(server.url, { path: '/v1/detect', body: request.body, contentType: request.contentType, model: MODEL });
  warm.bodies.forEach(checkDetections);
  const idleProbe = startProbe(`${server.url}/healthz`, settings.healthzIntervalMs);
  await sleep(HEALTHZ_IDLE_MS);
  const healthzIdle = await idleProbe.stop();
  const phases: HttpPhase[] = [];
  let healthz: ProbeResult | undefined;
  for (const connections of CONNECTIONS) {
    progress(`HTTP load, ${connections} connection(s), ${settings.durationS} s`);
    const probe = connections === PROBE_DURING ? startProbe(`${server.url}/healthz`, settings.healthzIntervalMs) : undefined;
    phases.push(await measurePhase(server, request, connections, settings.durationS));
    if (probe) healthz = await probe.stop();
    await waitUntilIdle(server.url);
  }
  if (!healthz) throw new Error(`no phase ran at ${PROBE_DURING} connections`);
  return { workers: warm.workers, warmUpRounds: warm.rounds, phases, healthzIdle, healthz, healthzDuringConnections: PROBE_DURING };
}

function evaluateTargets(raw: DetectBenchResult['raw'], http: DetectBenchResult['http']): Target[] {
  const phase = (c: number) => http.phases.find((p) => p.load.connections === c)!.load;
  const rawBest = raw.latency.find((l) => l.threads === raw.bestLatencyThreads)!;
  const gap = phase(1).latencyMs.p50 - rawBest.latencyMs.p50;
  const limit = Math.max(...raw.throughput.map((t) => t.runsPerSec));
  const share = phase(8).requestsPerSec / limit;
  const healthzP99 = http.healthz.latencyMs.p99;
  return [
    {
      name: 'c=1 latency over raw', measured: gap, limit: TARGET_LATENCY_GAP_MS, rule: '≤', unit: 'ms', pass: gap <= TARGET_LATENCY_GAP_MS,
      detail: `p50 end-to-end ${phase(1).latencyMs.p50.toFixed(1)} ms − raw p50 ${rawBest.latencyMs.p50.toFixed(1)} ms (${rawBest.threads} thread${rawBest.threads > 1 ? 's' : ''})`,
    },
    {
      name: 'c=8 throughput share of raw limit', measured: share * 100, limit: TARGET_THROUGHPUT_SHARE * 100, rule: '≥', unit: '%', pass: share >= TARGET_THROUGHPUT_SHARE,
      detail: `${phase(8).requestsPerSec.toFixed(2)} req/s of ${limit.toFixed(2)} runs/s (${raw.fasterSplit})`,
    },
    {
      name: '/healthz p99 under load', measured: healthzP99, limit: TARGET_HEALTHZ_P99_MS, rule: '<', unit: 'ms', pass: healthzP99 < TARGET_HEALTHZ_P99_MS,
      detail: `${http.healthz.latencyMs.n} requests during c=${http.healthzDuringConnections}`,
    },
  ];
}

async function detectBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const model = catalogModel(settings.modelsDir, MODEL);
  const input = model.manifest.input;
  if (!input) throw new Error(`${MODEL} has no input spec`);
  const image = readFileSync(settings.imageFile);
  const { width, height } = await probeImage(image, { maxPixels: Number.MAX_SAFE_INTEGER });

  progress(`preprocessing, ${settings.rawRuns} runs`);
  const preprocess = await metered(() => measureLetterbox(image, input, { warmup: settings.rawWarmup, runs: settings.rawRuns }));
  const raw = { preprocess, ...(await measureRaw({ modelPath: model.path, input: await letterboxInput(image, input) }, settings)) };

  progress('starting argus serve');
  const server = await startServer({ repoRoot: REPO_ROOT, modelsDir: settings.modelsDir });
  let http: DetectBenchResult['http'];
  try {
    const request = multipartBody([{ name: 'image', filename: basename(settings.imageFile), contentType: 'image/jpeg', data: image }]);
    http = await measureHttp(server, request, settings);
  } finally {
    await server.stop();
  }

  const result: DetectBenchResult = {
    benchmark: 'detect',
    machine,
    settings: { durationS: settings.durationS, rawDurationS: settings.rawDurationS, rawRuns: settings.rawRuns, rawWarmup: settings.rawWarmup, healthzIntervalMs: settings.healthzIntervalMs },
    model: { alias: MODEL, file: relative(settings.modelsDir, model.path) },
    image: { file: basename(settings.imageFile), bytes: image.length, width, height },
    raw,
    http,
    targets: evaluateTargets(raw, http),
    serverOutput: server.output(),
  };
  process.stdout.write(detectText(result));
  writeJson(join(REPO_ROOT, 'bench-results/detect.json'), result);
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'detect', detectMarkdown(result), machine);
  progress('wrote bench-results/detect.json and docs/benchmarks.md');
}

/** The embeddings section (squeezenet, resnet18-embed, and the PyTorch peer side by side): scripts/bench/embed.ts. */
async function embeddingsBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const result = await runEmbeddingsBench({ repoRoot: REPO_ROOT, modelsDir: settings.modelsDir, durationS: settings.durationS, rawRuns: settings.rawRuns, rawWarmup: settings.rawWarmup, machine });
  const targets = embedTargets(result, TARGET_RATIO);
  process.stdout.write(embedText(result, targets));
  writeJson(join(REPO_ROOT, 'bench-results/embeddings.json'), { ...result, targets });
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'embeddings', embedMarkdown(result, targets), machine);
  progress('wrote bench-results/embeddings.json and docs/benchmarks.md');
}

/** The OCR section (PP-OCRv4 on page.png: raw models, in process, end to end): scripts/bench/ocr.ts. */
async function ocrBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const result = await runOcrBench({ repoRoot: REPO_ROOT, modelsDir: settings.modelsDir, durationS: settings.durationS, rawRuns: settings.rawRuns, rawWarmup: settings.rawWarmup, machine });
  process.stdout.write(ocrText(result));
  writeJson(join(REPO_ROOT, 'bench-results/ocr.json'), result);
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'ocr', ocrMarkdown(result), machine);
  progress('wrote bench-results/ocr.json and docs/benchmarks.md');
}

function list(name: string): string[] {
  return process.env[name]?.split(',').map((v) => v.trim()).filter(Boolean) ?? [];
}

/**
 * The whole report in one run (section `serving`): every model's limit and Argus over HTTP at
 * BENCH_CONNECTIONS (default 1,4,16,64), image sizes, batching on/off, the peer, overload, start-up
 * and memory; bench-results/serving.json, docs/benchmarks-throughput.svg and its own section.
 * BENCH_MODELS picks models; BENCH_SKIP skips parts (sizes, peer, batching, history, overlap, overload).
 */
async function servingBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const models = list('BENCH_MODELS');
  const unknown = models.filter((m) => !SERVING_MODELS.some((s) => s.alias === m));
  if (unknown.length) throw new Error(`BENCH_MODELS names unknown models: ${unknown.join(', ')} (known: ${SERVING_MODELS.map((s) => s.alias).join(', ')})`);
  const connections = list('BENCH_CONNECTIONS').map(Number);
  const durationS = positiveNumber('BENCH_DURATION_S', 8);
  const rawDurationS = positiveNumber('BENCH_RAW_DURATION_S', 5);
  const result = await runServingBench({
    repoRoot: REPO_ROOT, modelsDir: settings.modelsDir, durationS, rawDurationS, rawRuns: settings.rawRuns,
    connections: connections.length ? connections : [1, 4, 16, 64], models, skip: list('BENCH_SKIP'), progress,
  });
  const targets = servingTargets(result);
  const svg = 'benchmarks-throughput.svg';
  process.stdout.write(servingText(result, targets));
  writeJson(join(REPO_ROOT, 'bench-results/serving.json'), { machine, ...result, targets });
  writeFileSync(join(REPO_ROOT, 'docs', svg), throughputSvg(result));
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'serving', servingMarkdown(result, targets, { durationS, rawDurationS, rawRuns: settings.rawRuns, svg, date: machine.date, commit: machine.commit }), machine);
  progress(`wrote bench-results/serving.json, docs/${svg} and docs/benchmarks.md`);
}

/** Distributed mode (API node + worker nodes over BullMQ and PostgreSQL) beside the embedded server: scripts/bench/distributed.ts. */
async function distributedBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const result = await runDistributedBench({ repoRoot: REPO_ROOT, modelsDir: settings.modelsDir, durationS: positiveNumber('BENCH_DURATION_S', 8), progress });
  process.stdout.write(distributedText(result));
  writeJson(join(REPO_ROOT, 'bench-results/distributed.json'), result);
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'distributed', distributedMarkdown(result), machine);
  progress('wrote bench-results/distributed.json and docs/benchmarks.md');
}

/** Frigate's DeepStack detector: 320×320 frames on /v1/vision/detection and /custom/{model} (scripts/bench/deepstack.ts). */
async function deepstackBench(): Promise<void> {
  const settings = readSettings();
  const machine = machineFacts(REPO_ROOT);
  const result = await runDeepStackBench({ repoRoot: REPO_ROOT, modelsDir: settings.modelsDir, durationS: positiveNumber('BENCH_DURATION_S', 8), progress });
  writeJson(join(REPO_ROOT, 'bench-results/deepstack.json'), result);
  writeMarkdownSection(join(REPO_ROOT, 'docs/benchmarks.md'), 'deepstack', deepstackMarkdown(result), machine);
  progress('wrote bench-results/deepstack.json and docs/benchmarks.md');
}

/**
 * Sections in the order they run. BENCH_ONLY (comma-separated names) picks some; without it the
 * default run is `serving` and `distributed` (about 12 minutes on 2 cores). `detect`, `embeddings`
 * and `ocr` are the earlier, deeper single-model sections (per-stage CPU, /healthz under load,
 * alternating peer rounds, the OCR library comparison); they run only when named.
 */
const SECTIONS: Record<string, () => Promise<void>> = { serving: servingBench, distributed: distributedBench, detect: detectBench, embeddings: embeddingsBench, ocr: ocrBench, deepstack: deepstackBench };
const DEFAULT_SECTIONS = ['serving', 'distributed'];

async function main(): Promise<void> {
  const only = list('BENCH_ONLY');
  const unknown = only.filter((name) => !Object.hasOwn(SECTIONS, name));
  if (unknown.length) throw new Error(`BENCH_ONLY names unknown sections: ${unknown.join(', ')} (known: ${Object.keys(SECTIONS).join(', ')})`);
  const chosen = only.length ? only : DEFAULT_SECTIONS;
  for (const [name, run] of Object.entries(SECTIONS)) if (chosen.includes(name)) await run();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
