/**
 * The serving section of `npm run bench`, one run on one machine: for each model (yolov8n and
 * centernet on bus.jpg, squeezenet on chelsea.png, resnet18-embed on bus.jpg, PP-OCRv4 on
 * page.png) the hardware limit (limit.ts: best thread split, batch 1 and the best batch) and
 * Argus end to end over HTTP at several concurrencies, with the ratio of the two; then how cost
 * grows with image size, dynamic batching on vs off, the PyTorch peer beside /v1/embed, overload
 * behaviour, start-up time and memory. Report and plot: serving-report.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { processTree, startCpuMeter, startInterferenceMeter } from './cpu.js';
import { runLoad, type LoadResult } from './http-load.js';
import { limitLatency, limitThroughput, type LimitRun } from './limit.js';
import { multipartBody } from './multipart.js';
import { peerUnavailable, startPeer } from './peer.js';
import { getHealth, startServer, waitUntilIdle, warmUp, type BenchServer } from './server.js';
import { TimingsCollector, type TimingBreakdown } from './server-timings.js';
import { processRss } from '../../src/workers/memory.js';

export interface ServingSettings {
  repoRoot: string;
  modelsDir: string;
  /** Seconds per HTTP phase. */
  durationS: number;
  /** Seconds per raw throughput run (and the most per raw latency run). */
  rawDurationS: number;
  rawRuns: number;
  connections: number[];
  /** Model aliases to run (all when empty). */
  models: string[];
  /** Parts to skip: sizes, batching, peer, history, overlap, overload. */
  skip: string[];
  progress: (message: string) => void;
}

interface ModelCase {
  alias: string;
  path: string;
  image: string;
  /** Requests per run for the best-batch limit (models with a dynamic batch axis). */
  batch?: number;
  check: (body: Record<string, unknown>) => boolean;
}

export const SERVING_MODELS: ModelCase[] = [
  { alias: 'yolov8n', path: '/v1/detect', image: 'bus.jpg', check: (b) => Array.isArray(b.detections) && b.detections.length > 0 },
  { alias: 'centernet', path: '/v1/detect', image: 'bus.jpg', check: (b) => Array.isArray(b.detections) && b.detections.length > 0 },
  { alias: 'squeezenet', path: '/v1/classify', image: 'misc/chelsea.png', check: (b) => Array.isArray(b.predictions) && b.predictions.length > 0 },
  { alias: 'resnet18-embed', path: '/v1/embed', image: 'bus.jpg', batch: 8, check: (b) => Array.isArray(b.embedding) && b.embedding.length === 512 },
  { alias: 'ppocr-v4', path: '/v1/ocr', image: 'misc/page.png', check: (b) => typeof b.text === 'string' && b.text.length > 0 },
];

export interface HttpRow {
  connections: number;
  load: LoadResult;
  server: TimingBreakdown;
  /**
   * CPU time per answered request, in ms: the API process, its children (model workers and the
   * thumbnail helper), and this process (the load generator).
   */
  cpuMsPerRequest: CpuPerRequest;
  /** Cores used by processes outside the benchmark meanwhile. */
  otherCores: number;
  ratioToLimit: number;
}

export interface CpuPerRequest {
  api: number;
  workers: number;
  client: number;
}

export interface ModelResult {
  alias: string;
  image: { file: string; bytes: number };
  limit: { latency: LimitRun[]; throughput: LimitRun[]; best: LimitRun; bestBatch1: LimitRun };
  http: HttpRow[];
  workers: number;
  workerRssMb: number[];
}

export interface SizeRow {
  size: string;
  bytes: number;
  c1: LoadResult;
  c16: LoadResult;
  decodeMs: number;
}

export interface ServingResult {
  models: ModelResult[];
  /** Cores of the machine: what the limit's processes and the HTTP rows share. */
  cores: number;
  sizes?: SizeRow[];
  /** `meanBatch`: requests per model run during the batching-on phase, from GET /metrics (argus_batch_size), when it answers. */
  batching?: { on: LoadResult; off: LoadResult; connections: number; meanBatch?: number };
  /** `server`: CPU ms per answered request of each server's process tree; `client`: the load generator's. */
  peer?: {
    connections: number; argus: LoadResult; peer: LoadResult; threads: number;
    cpuMsPerRequest: { argus: { server: number; client: number }; peer: { server: number; client: number } };
  } | { unavailable: string };
  /** yolov8n at c=16 with the result history off (ARGUS_HISTORY_SIZE=0): what recording previews costs. */
  history?: { connections: number; on: HttpRow; off: HttpRow };
  /** yolov8n with overlap off and on, with one worker (a core left for decoding) and two (cores full): what decoding during an inference gains. */
  overlap?: { connections: number; rows: Array<{ workers: number; overlap: boolean; row: HttpRow }> };
  overload?: { connections: number; maxQueueDepth: number; load: LoadResult; retryAfter?: string; sampleStatus?: number };
  startup: { healthyMs: number; firstDetectionMs: number };
  apiRssMb: number;
  loadAverageStart: number[];
}

async function measureLimit(model: ModelCase, settings: ServingSettings): Promise<ModelResult['limit']> {
  const target = { alias: model.alias, modelsDir: settings.modelsDir, imageFile: join(settings.modelsDir, '../images', model.image) };
  const latency: LimitRun[] = [];
  for (const threads of [1, 2]) {
    settings.progress(`${model.alias}: limit latency, 1 process × ${threads} thread(s)`);
    latency.push(await limitLatency(target, threads, 1, { runs: settings.rawRuns, durationMs: settings.rawDurationS * 1000 }));
  }
  const throughput: LimitRun[] = [];
  for (const batch of model.batch ? [1, model.batch] : [1]) {
    for (const [processes, threads] of [[2, 1], [1, 2]] as const) {
      settings.progress(`${model.alias}: limit throughput, ${processes} × ${threads} thread(s), batch ${batch}`);
      throughput.push(await limitThroughput(target, processes, threads, batch, settings.rawDurationS * 1000));
    }
  }
  const best = throughput.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
  const bestBatch1 = throughput.filter((t) => t.batch === 1).reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
  return { latency, throughput, best, bestBatch1 };
}

function requestOf(model: ModelCase, bytes: Buffer) {
  return multipartBody([{ name: 'image', filename: basename(model.image), contentType: model.image.endsWith('.png') ? 'image/png' : 'image/jpeg', data: bytes }, { name: 'model', value: model.alias }]);
}

/** Cores used over a load → CPU ms per answered request. */
const perRequest = (cores: number, load: LoadResult) => (load.ok > 0 ? (cores * load.durationS * 1000) / load.ok : Number.NaN);

async function phase(server: BenchServer, model: ModelCase, body: ReturnType<typeof multipartBody>, connections: number, durationS: number, limit: number): Promise<HttpRow> {
  const timings = new TimingsCollector();
  const children = processTree(server.pid).filter((pid) => pid !== server.pid);
  const cpu = startCpuMeter({ api: [server.pid], workers: children, client: [process.pid] });
  const others = startInterferenceMeter();
  const load = await runLoad({ url: server.url + model.path, headers: { 'content-type': body.contentType }, body: body.body, connections, durationS, onOkBody: timings.add });
  const used = cpu.stop();
  const otherCores = others.stop();
  await waitUntilIdle(server.url, 120_000).catch(() => undefined);
  const cpuMsPerRequest = { api: perRequest(used.api, load), workers: perRequest(used.workers, load), client: perRequest(used.client, load) };
  return { connections, load, server: timings.breakdown(), cpuMsPerRequest, otherCores, ratioToLimit: load.requestsPerSec / limit };
}

/** A load against one server, with the CPU its process tree and the load generator used per answered request. */
async function meteredLoad(serverPid: number, load: () => Promise<LoadResult>): Promise<{ load: LoadResult; cpu: { server: number; client: number } }> {
  const meter = startCpuMeter({ server: processTree(serverPid), client: [process.pid] });
  const result = await load();
  const used = meter.stop();
  return { load: result, cpu: { server: perRequest(used.server, result), client: perRequest(used.client, result) } };
}

async function serveModel(server: BenchServer, model: ModelCase, limit: ModelResult['limit'], settings: ServingSettings): Promise<ModelResult> {
  const bytes = readFileSync(join(settings.modelsDir, '../images', model.image));
  const body = requestOf(model, bytes);
  settings.progress(`${model.alias}: warming up ${model.path}`);
  const warm = await warmUp(server.url, { path: model.path, body: body.body, contentType: body.contentType, model: model.alias, concurrency: 4 });
  for (const text of warm.bodies) if (!model.check(JSON.parse(text) as Record<string, unknown>)) throw new Error(`${model.alias} answered without a result: ${text.slice(0, 300)}`);
  const http: HttpRow[] = [];
  for (const connections of settings.connections) {
    settings.progress(`${model.alias}: HTTP, ${connections} connection(s), ${settings.durationS} s`);
    http.push(await phase(server, model, body, connections, settings.durationS, limit.best.imagesPerSec));
  }
  const mine = (await getHealth(server.url)).workers.filter((w) => w.model === model.alias);
  return { alias: model.alias, image: { file: model.image, bytes: bytes.length }, limit, http, workers: mine.length, workerRssMb: mine.map((w) => w.rss_mb) };
}

async function sizes(server: BenchServer, settings: ServingSettings): Promise<SizeRow[]> {
  const model = SERVING_MODELS[0];
  const bus = join(settings.modelsDir, '../images/bus.jpg');
  const rows: SizeRow[] = [];
  for (const [w, h] of [[320, 240], [1280, 720], [4000, 3000]] as const) {
    const bytes = await sharp(bus).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const body = requestOf({ ...model, image: `bus-${w}x${h}.jpg` }, bytes);
    settings.progress(`sizes: yolov8n ${w}×${h}`);
    const timings = new TimingsCollector();
    const c1 = await runLoad({ url: server.url + model.path, headers: { 'content-type': body.contentType }, body: body.body, connections: 1, durationS: settings.durationS, onOkBody: timings.add });
    await waitUntilIdle(server.url, 120_000);
    const c16 = await runLoad({ url: server.url + model.path, headers: { 'content-type': body.contentType }, body: body.body, connections: 16, durationS: settings.durationS });
    await waitUntilIdle(server.url, 120_000);
    rows.push({ size: `${w}×${h}`, bytes: bytes.length, c1, c16, decodeMs: timings.breakdown().decode });
  }
  return rows;
}

async function embedLoad(url: string, path: string, body: ReturnType<typeof multipartBody>, connections: number, durationS: number): Promise<LoadResult> {
  return runLoad({ url: url + path, headers: { 'content-type': body.contentType }, body: body.body, connections, durationS });
}

/** resnet18-embed at `connections` with dynamic batching as configured by default, then with it off (maxBatch 1). */
async function batching(server: BenchServer, settings: ServingSettings, connections: number): Promise<NonNullable<ServingResult['batching']>> {
  const model = SERVING_MODELS.find((m) => m.alias === 'resnet18-embed')!;
  const body = requestOf(model, readFileSync(join(settings.modelsDir, '../images', model.image)));
  settings.progress(`batching: resnet18-embed c=${connections}, on`);
  const before = await batchMetrics(server.url);
  const on = await embedLoad(server.url, model.path, body, connections, settings.durationS);
  const after = await batchMetrics(server.url);
  const meanBatch = before && after && after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : undefined;
  const off = await withServer(settings, { ARGUS_MODELS: JSON.stringify({ 'resnet18-embed': { maxBatch: 1 } }) }, async (plain) => {
    await warmUp(plain.url, { path: model.path, body: body.body, contentType: body.contentType, model: model.alias, concurrency: 4 });
    settings.progress(`batching: resnet18-embed c=${connections}, off`);
    return embedLoad(plain.url, model.path, body, connections, settings.durationS);
  });
  return { on, off, connections, meanBatch };
}

/** resnet18-embed's argus_batch_size histogram sum and count from GET /metrics, or undefined when it is not served. */
async function batchMetrics(url: string): Promise<{ sum: number; count: number } | undefined> {
  const response = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const text = await response.text();
  const value = (name: string) => Number(new RegExp(`^${name}\\{model="resnet18-embed"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const sum = value('argus_batch_size_sum');
  const count = value('argus_batch_size_count');
  return Number.isFinite(sum) && Number.isFinite(count) ? { sum, count } : undefined;
}

async function peer(server: BenchServer, settings: ServingSettings, connections: number): Promise<NonNullable<ServingResult['peer']>> {
  const peerDir = join(settings.modelsDir, '../peers/fastapi-resnet18');
  const why = peerUnavailable(peerDir);
  if (why) return { unavailable: why };
  const model = SERVING_MODELS.find((m) => m.alias === 'resnet18-embed')!;
  const bytes = readFileSync(join(settings.modelsDir, '../images', model.image));
  const body = requestOf(model, bytes);
  settings.progress(`peer: Argus /v1/embed c=${connections}`);
  const argus = await meteredLoad(server.pid, () => embedLoad(server.url, model.path, body, connections, settings.durationS));
  await waitUntilIdle(server.url, 120_000);
  settings.progress('peer: starting fastapi-resnet18');
  const threads = 2;
  const running = await startPeer(peerDir, { threads });
  try {
    const peerBody = multipartBody([{ name: 'image', filename: 'bus.jpg', contentType: 'image/jpeg', data: bytes }]);
    await runLoad({ url: `${running.url}/embed`, headers: { 'content-type': peerBody.contentType }, body: peerBody.body, connections: 2, durationS: 2 });
    settings.progress(`peer: POST /embed c=${connections}`);
    const measured = await meteredLoad(running.pid, () => runLoad({ url: `${running.url}/embed`, headers: { 'content-type': peerBody.contentType }, body: peerBody.body, connections, durationS: settings.durationS }));
    return { connections, argus: argus.load, peer: measured.load, threads, cpuMsPerRequest: { argus: argus.cpu, peer: measured.cpu } };
  } finally {
    await running.stop();
  }
}

/** The default server's yolov8n row (`on`) beside the same load on a server with one feature off (`env`). */
async function withFeatureOff(settings: ServingSettings, feature: string, on: HttpRow | undefined, limit: number, env: Record<string, string>): Promise<{ connections: number; on: HttpRow; off: HttpRow } | undefined> {
  if (!on) return undefined;
  const model = SERVING_MODELS[0];
  const body = requestOf(model, readFileSync(join(settings.modelsDir, '../images', model.image)));
  return withServer(settings, env, async (server) => {
    await warmUp(server.url, { path: model.path, body: body.body, contentType: body.contentType, model: model.alias, concurrency: 4 });
    settings.progress(`${feature} off: yolov8n c=${on.connections}`);
    return { connections: on.connections, on, off: await phase(server, model, body, on.connections, settings.durationS, limit) };
  });
}

/** A config file for yolov8n's workers and overlap (per-model settings have no environment variable). */
function yoloConfig(instances: number, overlap: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'argus-bench-config-'));
  const file = join(dir, 'argus.json');
  writeFileSync(file, JSON.stringify({ models: { yolov8n: { instances, overlap } } }));
  return file;
}

/** yolov8n, history off, each combination on a fresh server: one or two workers, overlap off or on. */
async function overlapGain(settings: ServingSettings, connections: number, limit: number): Promise<NonNullable<ServingResult['overlap']>> {
  const model = SERVING_MODELS[0];
  const body = requestOf(model, readFileSync(join(settings.modelsDir, '../images', model.image)));
  const rows: NonNullable<ServingResult['overlap']>['rows'] = [];
  for (const workers of [1, 2]) {
    for (const overlap of [false, true]) {
      rows.push(await withServer(settings, { ARGUS_HISTORY_SIZE: '0', ARGUS_CONFIG: yoloConfig(workers, overlap) }, async (server) => {
        await warmUp(server.url, { path: model.path, body: body.body, contentType: body.contentType, model: model.alias, concurrency: 4 });
        settings.progress(`overlap ${overlap ? 'on' : 'off'}: yolov8n, ${workers} worker(s), c=${connections}`);
        return { workers, overlap, row: await phase(server, model, body, connections, settings.durationS, limit) };
      }));
    }
  }
  return { connections, rows };
}

/** More clients than the queue holds: the excess must be refused at once (429/503 with Retry-After), not left to time out. */
async function overload(settings: ServingSettings): Promise<NonNullable<ServingResult['overload']>> {
  const maxQueueDepth = 8;
  const connections = 64;
  const model = SERVING_MODELS[0];
  const body = requestOf(model, readFileSync(join(settings.modelsDir, '../images', model.image)));
  return withServer(settings, { ARGUS_MAX_QUEUE_DEPTH: String(maxQueueDepth) }, async (server) => {
    await warmUp(server.url, { path: model.path, body: body.body, contentType: body.contentType, model: model.alias, concurrency: 4 });
    settings.progress(`overload: yolov8n, queue depth ${maxQueueDepth}, ${connections} connections`);
    const load = await runLoad({ url: server.url + model.path, headers: { 'content-type': body.contentType }, body: body.body, connections, durationS: Math.min(settings.durationS, 8), timeoutS: 30 });
    // One burst by hand to read a refusal's headers.
    const burst = await Promise.all(Array.from({ length: 40 }, () => fetch(server.url + model.path, { method: 'POST', body: body.body, headers: { 'content-type': body.contentType } })));
    const refused = burst.find((r) => r.status === 429 || r.status === 503);
    await Promise.all(burst.map((r) => r.arrayBuffer()));
    return { connections, maxQueueDepth, load, retryAfter: refused?.headers.get('retry-after') ?? undefined, sampleStatus: refused?.status };
  });
}

async function withServer<T>(settings: ServingSettings, env: Record<string, string>, use: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startServer({ repoRoot: settings.repoRoot, modelsDir: settings.modelsDir, env: { ARGUS_MAX_EVENT_LOOP_DELAY_MS: '0', ...env } });
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

export async function runServingBench(settings: ServingSettings): Promise<ServingResult> {
  const loadAverageStart = loadAverage();
  const models = SERVING_MODELS.filter((m) => settings.models.length === 0 || settings.models.includes(m.alias));
  const limits = new Map<string, ModelResult['limit']>();
  // Limits first, with no server running, so the raw sessions have the machine to themselves.
  for (const model of models) limits.set(model.alias, await measureLimit(model, settings));

  settings.progress('starting argus serve (start-up time: spawn → /healthz → first detection)');
  const t0 = performance.now();
  // The overload guard measures event-loop delay; on a machine shared with other work it would
  // answer 503 for reasons that have nothing to do with Argus, so it is off for the measurement.
  const server = await startServer({ repoRoot: settings.repoRoot, modelsDir: settings.modelsDir, env: { ARGUS_MAX_EVENT_LOOP_DELAY_MS: '0' } });
  const healthyMs = performance.now() - t0;
  const first = requestOf(SERVING_MODELS[0], readFileSync(join(settings.modelsDir, '../images/bus.jpg')));
  const response = await fetch(server.url + '/v1/detect', { method: 'POST', body: first.body, headers: { 'content-type': first.contentType } });
  await response.arrayBuffer();
  const firstDetectionMs = performance.now() - t0;
  try {
    const results: ModelResult[] = [];
    for (const model of models) results.push(await serveModel(server, model, limits.get(model.alias)!, settings));
    const apiRssMb = Math.round((processRss(server.pid) ?? 0) / 1048576);
    const result: ServingResult = { models: results, cores: availableParallelism(), startup: { healthyMs, firstDetectionMs }, apiRssMb, loadAverageStart };
    if (!settings.skip.includes('sizes')) result.sizes = await sizes(server, settings);
    const wantsEmbed = models.some((m) => m.alias === 'resnet18-embed');
    if (wantsEmbed && !settings.skip.includes('peer')) result.peer = await peer(server, settings, 8);
    if (wantsEmbed && !settings.skip.includes('batching')) result.batching = await batching(server, settings, 16);
    const yolo = results.find((m) => m.alias === 'yolov8n');
    const yolo16 = yolo?.http.find((h) => h.connections === 16);
    if (yolo && !settings.skip.includes('history')) result.history = await withFeatureOff(settings, 'history', yolo16, yolo.limit.best.imagesPerSec, { ARGUS_HISTORY_SIZE: '0' });
    if (yolo && !settings.skip.includes('overlap')) result.overlap = await overlapGain(settings, 8, yolo.limit.best.imagesPerSec);
    if (!settings.skip.includes('overload')) result.overload = await overload(settings);
    return result;
  } finally {
    await server.stop();
  }
}
