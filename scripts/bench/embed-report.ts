/** The embeddings benchmark's result: its shape, its targets, and how it reads in the terminal and in Markdown. */
import type { CpuUse, Metered } from './cpu.js';
import type { Target } from './detect-report.js';
import type { LoadResult } from './http-load.js';
import type { MachineFacts } from './machine.js';
import type { RawLatency, RawThroughput } from './raw.js';
import { fmt, markdownTable, pass, textTable, type Table } from './report.js';
import type { TimingBreakdown } from './server-timings.js';
import { median, type Summary } from './stats.js';

export interface ServedPhase {
  load: Metered<LoadResult>;
  /** Cores used during the phase: Argus's HTTP process and model workers, or the peer's one process; and the load generator. */
  cpuCores: CpuUse;
  /** Medians of Argus's own `timings` (absent for the peer, which reports none). */
  server?: TimingBreakdown;
}

export interface ModelBench {
  alias: string;
  path: string;
  file: string;
  /** Decode + resize + tensor in the benchmark process (one libvips thread). */
  preprocessMs: Summary;
  latency: Array<Metered<RawLatency>>;
  throughput: Array<Metered<RawThroughput>>;
  workers: number;
  phases: ServedPhase[];
}

export interface EmbedBenchResult {
  benchmark: 'embeddings';
  machine: MachineFacts;
  settings: { durationS: number; rawRuns: number; rawWarmup: number };
  image: { description: string; bytes: number };
  models: ModelBench[];
  /** The peer's phases alternate with resnet18-embed's, `rounds` per concurrency. */
  peer: { skipped: string } | { threads: number; rounds: number; phases: ServedPhase[]; cosineWithArgus: number };
  serverOutput: string;
}

/** One concurrency's figures: the median over its rounds (one round unless compared with the peer). */
interface AtConcurrency {
  connections: number;
  rounds: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  otherCores: number;
  inference: number;
  decodeAndPre: number;
  /** Server CPU per request, ms: the cores its processes used ÷ requests/s. */
  cpuMsPerRequest: number;
}

function at(phases: ServedPhase[], connections: number): AtConcurrency {
  const mine = phases.filter((p) => p.load.connections === connections);
  const med = (pick: (p: ServedPhase) => number) => median(mine.map(pick));
  return {
    connections,
    rounds: mine.length,
    requestsPerSec: med((p) => p.load.requestsPerSec),
    p50: med((p) => p.load.latencyMs.p50),
    p99: med((p) => p.load.latencyMs.p99),
    errors: mine.reduce((n, p) => n + p.load.non2xx + p.load.errors, 0),
    otherCores: med((p) => p.load.otherCores),
    inference: med((p) => p.server?.inference ?? Number.NaN),
    decodeAndPre: med((p) => (p.server ? p.server.decode + p.server.preprocess : Number.NaN)),
    cpuMsPerRequest: med((p) => (1000 * Object.entries(p.cpuCores).filter(([group]) => group !== 'client').reduce((sum, [, cores]) => sum + cores, 0)) / p.load.requestsPerSec),
  };
}

const connectionsOf = (phases: ServedPhase[]) => [...new Set(phases.map((p) => p.load.connections))];

/** Argus ≥ 2× the peer's requests/s at concurrency 8, with a lower p99; none when the peer was skipped. */
export function embedTargets(result: EmbedBenchResult, ratio: number): Target[] {
  if ('skipped' in result.peer) return [];
  const argus = at(result.models.find((m) => m.alias === 'resnet18-embed')!.phases, 8);
  const peer = at(result.peer.phases, 8);
  const measured = argus.requestsPerSec / peer.requestsPerSec;
  const rounds = `median of ${argus.rounds} alternating rounds`;
  return [
    {
      name: 'c=8 requests/s, Argus ÷ peer', measured, limit: ratio, rule: '≥', unit: '×', pass: measured >= ratio,
      detail: `${argus.requestsPerSec.toFixed(1)} vs ${peer.requestsPerSec.toFixed(1)} req/s (${rounds})`,
    },
    {
      name: 'c=8 p99, Argus vs peer', measured: argus.p99, limit: peer.p99, rule: '<', unit: 'ms', pass: argus.p99 < peer.p99,
      detail: `${argus.p99.toFixed(1)} vs ${peer.p99.toFixed(1)} ms (${rounds})`,
    },
  ];
}

function rawTable(models: ModelBench[]): Table {
  const rows = models.flatMap((m) => [
    ...m.latency.map((l) => [m.alias, `1 process × ${l.threads} thread${l.threads > 1 ? 's' : ''}, sequential`, fmt(l.latencyMs.p50), fmt(1000 / l.latencyMs.mean), fmt(l.otherCores, 2)]),
    ...m.throughput.map((t) => [m.alias, `${t.processes} process${t.processes > 1 ? 'es' : ''} × ${t.threads} thread${t.threads > 1 ? 's' : ''}, flat out`, fmt(t.latencyMs.p50), fmt(t.runsPerSec), fmt(t.otherCores, 2)]),
    [m.alias, 'decode + resize + tensor (1 libvips thread)', fmt(m.preprocessMs.p50), fmt(1000 / m.preprocessMs.mean), '–'],
  ]);
  return { headers: ['model', 'raw onnxruntime run', 'p50 ms', 'runs/s', 'other CPU'], rows };
}

function servedRows(who: string, phases: ServedPhase[]): Array<Array<string | number>> {
  return connectionsOf(phases).map((c) => at(phases, c)).map((a) => [
    who, a.connections, a.rounds, fmt(a.requestsPerSec), fmt(a.p50), fmt(a.p99), a.errors, fmt(a.inference), fmt(a.decodeAndPre), fmt(a.cpuMsPerRequest), fmt(a.otherCores, 2),
  ]);
}

function servedTable(result: EmbedBenchResult): Table {
  const rows = result.models.flatMap((m) => servedRows(`Argus ${m.path} (${m.alias}, ${m.workers} workers)`, m.phases));
  if (!('skipped' in result.peer)) rows.push(...servedRows(`peer POST /embed (PyTorch, ${result.peer.threads} threads)`, result.peer.phases));
  return {
    headers: ['server', 'connections', 'rounds', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'inference ms (p50)', 'decode + pre ms (p50)', 'server CPU ms/request', 'other CPU'],
    rows,
  };
}

function ratioLines(result: EmbedBenchResult): string[] {
  if ('skipped' in result.peer) return [`Peer skipped: ${result.peer.skipped}`];
  const argus = result.models.find((m) => m.alias === 'resnet18-embed')!;
  const peerPhases = result.peer.phases;
  const lines = connectionsOf(argus.phases).map((c) => {
    const a = at(argus.phases, c);
    const p = at(peerPhases, c);
    const perRound = argus.phases.filter((x) => x.load.connections === c)
      .map((x, i) => fmt(x.load.requestsPerSec / peerPhases.filter((y) => y.load.connections === c)[i].load.requestsPerSec, 2));
    return `c=${c}: Argus ${fmt(a.requestsPerSec)} req/s (p99 ${fmt(a.p99)} ms) vs peer ${fmt(p.requestsPerSec)} req/s (p99 ${fmt(p.p99)} ms): `
      + `ratio ${fmt(a.requestsPerSec / p.requestsPerSec, 2)}× (per round: ${perRound.join(', ')})`;
  });
  lines.push(`Vectors agree: cosine(Argus, peer) = ${result.peer.cosineWithArgus.toFixed(6)} on the benchmark JPEG.`);
  return lines;
}

function targetsTable(targets: Target[]): Table {
  return { headers: ['target', 'measured', 'rule', 'result', 'how'], rows: targets.map((t) => [t.name, `${fmt(t.measured, 2)} ${t.unit}`, `${t.rule} ${fmt(t.limit, 2)} ${t.unit}`, pass(t.pass), t.detail]) };
}

export function embedText(result: EmbedBenchResult, targets: Target[]): string {
  return [
    `\nEmbeddings and classification (${result.image.description}, ${result.image.bytes} bytes; ${result.settings.durationS} s per phase)\n`,
    textTable(rawTable(result.models)),
    '',
    textTable(servedTable(result)),
    '',
    ...ratioLines(result),
    '',
    targets.length ? textTable(targetsTable(targets)) : 'No targets evaluated (the peer was skipped).',
    '',
  ].join('\n');
}

export function embedMarkdown(result: EmbedBenchResult, targets: Target[]): string {
  return [
    '## Embeddings and classification',
    '',
    `${result.machine.date}. ${result.image.description} (${result.image.bytes} bytes), ${result.settings.durationS} s per HTTP phase, `
      + `${result.settings.rawRuns} sequential raw runs. resnet18-embed and the peer run in alternating rounds; figures are the median round. `
      + '"other CPU" is what processes outside the benchmark used meanwhile (cores): on this shared machine it is rarely zero.',
    '',
    '### Raw model',
    '',
    markdownTable(rawTable(result.models)),
    '',
    '### Served over HTTP, and the PyTorch peer',
    '',
    markdownTable(servedTable(result)),
    '',
    ...ratioLines(result).map((l) => `- ${l}`),
    '',
    targets.length ? markdownTable(targetsTable(targets)) : '_No targets evaluated: the peer was skipped._',
  ].join('\n');
}
