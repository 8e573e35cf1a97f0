/**
 * The embeddings section of `npm run bench`: for squeezenet (classify) and resnet18-embed (embed),
 * raw onnxruntime speed against Argus end to end over HTTP; then the original embedding service
 * (../shared/peers/fastapi-resnet18, FastAPI + PyTorch) against Argus's POST /v1/embed on the same
 * 640×480 JPEG at concurrency 1 and 8, with the ratio and the target (Argus ≥ 2× the peer's
 * requests/s at concurrency 8, with a lower p99). The peer is skipped, with the reason printed,
 * when its Python packages are missing.
 */
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { inputFromSpec } from '../../src/tasks/image-tensor.js';
import { metered, startCpuMeter, type CpuGroups } from './cpu.js';
import type { EmbedBenchResult, ModelBench, ServedPhase } from './embed-report.js';
import { runLoad } from './http-load.js';
import { catalogModel } from './inputs.js';
import type { MachineFacts } from './machine.js';
import { multipartBody, type MultipartBody } from './multipart.js';
import { cosine, peerEmbedding, peerUnavailable, startPeer, type Peer } from './peer.js';
import { measureLatency, measureThroughput, type RawModel } from './raw.js';
import { getHealth, startServer, waitUntilIdle, warmUp, type BenchServer } from './server.js';
import { TimingsCollector } from './server-timings.js';
import { summarize } from './stats.js';

export interface EmbedBenchSettings {
  repoRoot: string;
  modelsDir: string;
  durationS: number;
  rawRuns: number;
  rawWarmup: number;
  machine: MachineFacts;
}

const MODELS = [
  { alias: 'squeezenet', path: '/v1/classify', check: (b: Record<string, unknown>) => Array.isArray(b.predictions) && b.predictions.length > 0 },
  { alias: 'resnet18-embed', path: '/v1/embed', check: (b: Record<string, unknown>) => Array.isArray(b.embedding) && b.embedding.length === 512 },
] as const;
const CONNECTIONS = [1, 8];
const SPLITS: Array<[number, number]> = [[2, 1], [1, 2]];
const PEER_THREADS = 2;
/** Alternating Argus/peer rounds per concurrency (the report takes the median round). */
const ROUNDS = 3;
export const TARGET_RATIO = 2;

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** The benchmark's image: bus.jpg cropped and scaled to 640×480, a baseline quality-90 JPEG (the same bytes every run). */
async function benchJpeg(imagesDir: string): Promise<Buffer> {
  return sharp(join(imagesDir, 'bus.jpg')).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90, progressive: false }).toBuffer();
}

/** Fails the run when a 2xx answer is not a real result: a fast wrong answer is not a measurement. */
function checked(check: (body: Record<string, unknown>) => boolean, what: string) {
  return (body: string) => {
    if (!check(JSON.parse(body) as Record<string, unknown>)) throw new Error(`${what} answered without a result: ${body.slice(0, 300)}`);
  };
}

async function rawModel(settings: EmbedBenchSettings, alias: string, image: Buffer) {
  const model = catalogModel(settings.modelsDir, alias);
  const spec = model.manifest.input;
  if (!spec) throw new Error(`${alias} has no input spec`);
  const input = inputFromSpec(spec, spec.name ?? 'input', 40_000_000, alias);
  sharp.concurrency(1);
  const times: number[] = [];
  let tensor = input.tensor(await input.decode(image));
  for (let i = 0; i < settings.rawWarmup + settings.rawRuns; i++) {
    const t0 = performance.now();
    tensor = input.tensor(await input.decode(image));
    if (i >= settings.rawWarmup) times.push(performance.now() - t0);
  }
  // The tensor buffer is reused per call: copy it before it crosses to the raw workers.
  const raw: RawModel = { modelPath: model.path, input: { ...tensor, data: tensor.data.slice() as typeof tensor.data } };
  return { file: relative(settings.modelsDir, model.path), raw, preprocessMs: summarize(times) };
}

/** Workers the server runs for a model by default: one per core for its thread count. */
function expectedWorkers(settings: EmbedBenchSettings, alias: string): number {
  const threads = catalogModel(settings.modelsDir, alias).manifest.threads ?? 1;
  return Math.max(1, Math.floor(availableParallelism() / threads));
}

async function measureServed(
  url: string, request: MultipartBody, connections: number, durationS: number, onBody: (body: string) => void, pids: CpuGroups,
): Promise<ServedPhase> {
  const timings = new TimingsCollector();
  const cpu = startCpuMeter({ ...pids, client: [process.pid] });
  const load = await metered(() => runLoad({
    url,
    headers: { 'content-type': request.contentType },
    body: request.body,
    connections,
    durationS,
    onOkBody: (body) => {
      onBody(body);
      timings.add(body);
    },
  }));
  return { load, cpuCores: cpu.stop(), server: timings.malformed === 0 ? timings.breakdown() : undefined };
}

/** Runs the HTTP phases of one model: at each concurrency, `rounds` rounds, each followed by the peer's round when there is a peer. */
async function servedPhases(
  settings: EmbedBenchSettings,
  server: BenchServer,
  alias: (typeof MODELS)[number],
  request: MultipartBody,
  peer?: { url: string; pid: number; phases: ServedPhase[] },
): Promise<ServedPhase[]> {
  const phases: ServedPhase[] = [];
  const workers = (await getHealth(server.url)).workers.filter((w) => w.model === alias.alias).flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  const rounds = peer ? ROUNDS : 1;
  const peerCheck = checked((b) => Array.isArray(b.embedding) && b.embedding.length === 512, 'the peer');
  for (const connections of CONNECTIONS) {
    for (let round = 1; round <= rounds; round++) {
      const of = rounds > 1 ? ` (round ${round} of ${rounds})` : '';
      progress(`${alias.alias}: POST ${alias.path}, ${connections} connection(s), ${settings.durationS} s${of}`);
      phases.push(await measureServed(server.url + alias.path, request, connections, settings.durationS, checked(alias.check, alias.alias), { http: [server.pid], workers }));
      await waitUntilIdle(server.url);
      if (peer) {
        progress(`peer: POST /embed, ${connections} connection(s), ${settings.durationS} s${of}`);
        peer.phases.push(await measureServed(`${peer.url}/embed`, request, connections, settings.durationS, peerCheck, { server: [peer.pid] }));
      }
    }
  }
  return phases;
}

async function benchModel(settings: EmbedBenchSettings, server: BenchServer, alias: (typeof MODELS)[number], image: Buffer, peer?: Peer): Promise<{ model: ModelBench; peerPhases: ServedPhase[] }> {
  const { file, raw, preprocessMs } = await rawModel(settings, alias.alias, image);
  const latency = [];
  for (const threads of [1, 2]) {
    progress(`${alias.alias}: raw latency, ${threads} thread(s)`);
    latency.push(await metered(() => measureLatency(raw, { threads, warmup: settings.rawWarmup, runs: settings.rawRuns })));
  }
  const throughput = [];
  for (const [processes, threads] of SPLITS) {
    progress(`${alias.alias}: raw throughput, ${processes} × ${threads}`);
    throughput.push(await metered(() => measureThroughput(raw, { processes, threads, warmup: settings.rawWarmup, durationMs: settings.durationS * 1000 })));
  }
  const withModel = multipartBody([{ name: 'image', filename: 'bench.jpg', contentType: 'image/jpeg', data: image }, { name: 'model', value: alias.alias }]);
  const warmOptions = { path: alias.path, body: withModel.body, contentType: withModel.contentType, model: alias.alias };
  let warm = await warmUp(server.url, warmOptions);
  // A second worker is spawned only once the first has loaded and work waits; on a busy machine
  // its load outlasts a warm-up round, so keep warming until every core has its worker.
  const deadline = Date.now() + 60_000;
  while (warm.workers < expectedWorkers(settings, alias.alias) && Date.now() < deadline) warm = await warmUp(server.url, warmOptions);
  warm.bodies.forEach(checked(alias.check, alias.alias));
  const peerPhases: ServedPhase[] = [];
  const phases = await servedPhases(settings, server, alias, withModel, peer && { url: peer.url, pid: peer.pid, phases: peerPhases });
  return { model: { alias: alias.alias, path: alias.path, file, preprocessMs, latency, throughput, workers: warm.workers, phases }, peerPhases };
}

/** Starts and warms the peer, or says why it cannot run here. */
async function readyPeer(peerDir: string, image: Buffer): Promise<{ peer: Peer; vector: number[] } | { skipped: string }> {
  const why = peerUnavailable(peerDir);
  if (why) {
    progress(`skipping the peer (fastapi-resnet18): ${why}`);
    return { skipped: why };
  }
  progress(`starting the peer (fastapi-resnet18, TORCH_THREADS=${PEER_THREADS})`);
  const peer = await startPeer(peerDir, { threads: PEER_THREADS });
  const vector = await peerEmbedding(peer.url, image, 'bench.jpg');
  // Warm-up: PyTorch's first calls allocate and tune.
  for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 8 }, () => peerEmbedding(peer.url, image, 'bench.jpg')));
  return { peer, vector };
}

/**
 * Runs the whole embeddings section and returns its result (the caller prints and writes it). On
 * a shared machine other work comes and goes: Argus and the peer are measured in alternating
 * rounds, so both see the same interference, and the report takes the median round.
 */
export async function runEmbeddingsBench(settings: EmbedBenchSettings): Promise<EmbedBenchResult> {
  const sharedDir = join(settings.modelsDir, '..');
  const image = await benchJpeg(join(sharedDir, 'images'));
  progress('embeddings: starting argus serve');
  const server = await startServer({ repoRoot: settings.repoRoot, modelsDir: settings.modelsDir });
  const models: ModelBench[] = [];
  let peerResult: EmbedBenchResult['peer'];
  try {
    models.push((await benchModel(settings, server, MODELS[0], image)).model);
    const ready = await readyPeer(join(sharedDir, 'peers/fastapi-resnet18'), image);
    if ('skipped' in ready) {
      models.push((await benchModel(settings, server, MODELS[1], image)).model);
      peerResult = ready;
    } else {
      try {
        const { model, peerPhases } = await benchModel(settings, server, MODELS[1], image, ready.peer);
        models.push(model);
        const request = multipartBody([{ name: 'image', filename: 'bench.jpg', contentType: 'image/jpeg', data: image }]);
        const response = await fetch(`${server.url}/v1/embed`, { method: 'POST', body: request.body, headers: { 'content-type': request.contentType } });
        const argusVector = ((await response.json()) as { embedding: number[] }).embedding;
        peerResult = { threads: PEER_THREADS, rounds: ROUNDS, phases: peerPhases, cosineWithArgus: cosine(ready.vector, argusVector) };
      } finally {
        await ready.peer.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return {
    benchmark: 'embeddings',
    machine: settings.machine,
    settings: { durationS: settings.durationS, rawRuns: settings.rawRuns, rawWarmup: settings.rawWarmup },
    image: { description: 'bus.jpg cropped and scaled to 640×480, baseline JPEG quality 90', bytes: image.length },
    models,
    peer: peerResult,
    serverOutput: server.output(),
  };
}
