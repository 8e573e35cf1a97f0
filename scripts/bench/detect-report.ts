/** The detection benchmark's result: its shape, and how it reads in the terminal and in Markdown. */
import type { CpuUse, Metered } from './cpu.js';
import type { LoadResult } from './http-load.js';
import type { PreprocessTiming } from './inputs.js';
import type { MachineFacts } from './machine.js';
import type { ProbeResult } from './probe.js';
import type { RawLatency, RawThroughput } from './raw.js';
import { fmt, machineTable, markdownTable, pass, textTable, type Table } from './report.js';
import type { TimingBreakdown } from './server-timings.js';

export interface HttpPhase {
  load: LoadResult;
  /** Cores used during the phase by the HTTP process, the model workers and the benchmark process (load generator). */
  cpuCores: CpuUse;
  /** Cores used by processes outside the benchmark during the phase. */
  otherCores: number;
  /** Medians of the server's own `timings` over this phase's 2xx responses. */
  server: TimingBreakdown;
  /** 2xx bodies without usable timings. */
  malformedBodies: number;
}

export interface Target {
  name: string;
  measured: number;
  limit: number;
  /** How `measured` must compare with `limit`. */
  rule: '≤' | '≥' | '<';
  unit: string;
  pass: boolean;
  /** How `measured` was computed. */
  detail: string;
}

export interface DetectBenchResult {
  benchmark: 'detect';
  machine: MachineFacts;
  settings: { durationS: number; rawDurationS: number; rawRuns: number; rawWarmup: number; healthzIntervalMs: number };
  model: { alias: string; file: string };
  image: { file: string; bytes: number; width: number; height: number };
  raw: {
    /** Decode and preprocessing of the image in the benchmark process (one libvips thread). */
    preprocess: Metered<PreprocessTiming>;
    latency: Array<Metered<RawLatency>>;
    throughput: Array<Metered<RawThroughput>>;
    /** intraOpNumThreads with the lowest sequential p50. */
    bestLatencyThreads: number;
    /** The split with the most runs/s. */
    fasterSplit: string;
  };
  http: {
    /** Model workers the server had loaded after warm-up. */
    workers: number;
    warmUpRounds: number;
    phases: HttpPhase[];
    /** GET /healthz sampled with the server idle (after warm-up), for comparison. */
    healthzIdle: ProbeResult;
    /** GET /healthz sampled during the phase with `healthzDuringConnections` connections. */
    healthz: ProbeResult;
    healthzDuringConnections: number;
  };
  targets: Target[];
  /** What the server logged at warn level or above during the run (empty when all went well). */
  serverOutput: string;
}

export function splitName(processes: number, threads: number): string {
  return `${processes} process${processes > 1 ? 'es' : ''} × ${threads} thread${threads > 1 ? 's' : ''}`;
}

function rawLatencyTable(r: DetectBenchResult): Table {
  return {
    headers: ['intraOpNumThreads', 'runs', 'mean ms', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'other CPU'],
    rows: r.raw.latency.map((l) => [
      l.threads, l.latencyMs.n, fmt(l.latencyMs.mean), fmt(l.latencyMs.p50), fmt(l.latencyMs.p95), fmt(l.latencyMs.min), fmt(l.latencyMs.max), fmt(l.otherCores, 2),
    ]),
  };
}

function preprocessTable(r: DetectBenchResult): Table {
  const other = fmt(r.raw.preprocess.otherCores, 2);
  const row = (stage: string, t: PreprocessTiming['decodeMs']) => [stage, t.n, fmt(t.mean), fmt(t.p50), fmt(t.p95), other];
  return {
    headers: ['stage', 'runs', 'mean ms', 'p50 ms', 'p95 ms', 'other CPU'],
    rows: [row('decode + letterbox (sharp, 1 thread)', r.raw.preprocess.decodeMs), row('HWC → CHW float32', r.raw.preprocess.tensorMs)],
  };
}

function rawThroughputTable(r: DetectBenchResult): Table {
  return {
    headers: ['split', 'runs/s', 'runs', 'p50 ms', 'p95 ms', 'other CPU'],
    rows: r.raw.throughput.map((t) => [splitName(t.processes, t.threads), fmt(t.runsPerSec, 2), t.runs, fmt(t.latencyMs.p50), fmt(t.latencyMs.p95), fmt(t.otherCores, 2)]),
  };
}

function httpTable(r: DetectBenchResult): Table {
  return {
    headers: ['connections', 'req/s', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'timeouts', 'CPU http', 'CPU workers', 'CPU client', 'worker CPU ms/req', 'other CPU'],
    rows: r.http.phases.map(({ load: l, cpuCores: cpu, otherCores }) => [
      l.connections, fmt(l.requestsPerSec, 2), fmt(l.latencyMs.p50), fmt(l.latencyMs.p90), fmt(l.latencyMs.p95),
      fmt(l.latencyMs.p99), fmt(l.latencyMs.max), l.ok, l.non2xx, l.errors, l.timeouts,
      fmt(cpu.http, 2), fmt(cpu.workers, 2), fmt(cpu.client, 2), fmt((cpu.workers * 1000) / l.requestsPerSec), fmt(otherCores, 2),
    ]),
  };
}

function timingsTable(r: DetectBenchResult): Table {
  return {
    headers: ['connections', 'responses', 'decode', 'preprocess', 'inference', 'postprocess', 'queue', 'total', 'API overhead', 'client p50 − total p50'],
    rows: r.http.phases.map(({ load, server: s }) => [
      load.connections, s.responses, fmt(s.decode), fmt(s.preprocess), fmt(s.inference), fmt(s.postprocess),
      fmt(s.queue), fmt(s.total), fmt(s.apiOverhead), fmt(load.latencyMs.p50 - s.total),
    ]),
  };
}

function healthzTable(r: DetectBenchResult): Table {
  const row = (label: string, h: ProbeResult) => [label, h.latencyMs.n, fmt(h.latencyMs.p50), fmt(h.latencyMs.p95), fmt(h.latencyMs.p99), fmt(h.latencyMs.max), h.failures];
  return {
    headers: ['while', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'failures'],
    rows: [row('idle', r.http.healthzIdle), row(`c=${r.http.healthzDuringConnections} detect load`, r.http.healthz)],
  };
}

function targetsTable(r: DetectBenchResult): Table {
  return {
    headers: ['target', 'measured', 'limit', 'result', 'how'],
    rows: r.targets.map((t) => [t.name, `${fmt(t.measured)} ${t.unit}`, `${t.rule} ${fmt(t.limit)} ${t.unit}`, pass(t.pass), t.detail]),
  };
}

/** Where the c=1 latency gap over the raw model goes, from the server's stage medians. */
function gapNote(r: DetectBenchResult): string {
  const phase = r.http.phases.find((p) => p.load.connections === 1);
  const raw = r.raw.latency.find((l) => l.threads === r.raw.bestLatencyThreads);
  if (!phase || !raw) return '';
  const s = phase.server;
  return `Where the c=1 gap goes (medians, so the parts need not add up exactly): decode ${fmt(s.decode)} ms, ` +
    `preprocess + postprocess ${fmt(s.preprocess + s.postprocess)} ms, inference in the worker − raw p50 ${fmt(s.inference - raw.latencyMs.p50)} ms, ` +
    `API overhead ${fmt(s.apiOverhead)} ms, client side beyond total ${fmt(phase.load.latencyMs.p50 - s.total)} ms.`;
}

interface Section {
  title: string;
  note: string;
  table: Table;
}

function sections(r: DetectBenchResult): Section[] {
  const s = r.settings;
  const phases = r.http.phases.map((p) => p.load.connections).join(', ');
  return [
    {
      title: '1. Raw model latency',
      note: `onnxruntime-node InferenceSession.run on the preprocessed ${r.image.file} tensor, interOpNumThreads 1, sequential; ${s.rawWarmup} warm-up runs, then ${s.rawRuns} timed runs, one after another.`,
      table: rawLatencyTable(r),
    },
    {
      title: '1b. Raw throughput limit',
      note: `Each session in its own process, all running flat out at once for ${s.rawDurationS} s. Faster split: **${r.raw.fasterSplit}**.`,
      table: rawThroughputTable(r),
    },
    {
      title: '1c. Raw preprocessing',
      note: 'The same decode and tensor code as a worker, timed in the benchmark process: the floor of the decode and preprocess stages below.',
      table: preprocessTable(r),
    },
    {
      title: '2. End-to-end HTTP',
      note: `POST /v1/detect with ${r.image.file} (${r.image.bytes} bytes) as multipart field \`image\`, autocannon closed loop at ${phases} connections, ${s.durationS} s each, ${r.http.workers} model workers loaded. Latency percentiles are exact, from every 2xx response (autocannon's own p50/p90/p97.5/p99 are in the JSON). CPU columns: cores used by the HTTP process, the model workers together, and the benchmark process (autocannon and the /healthz probe), out of ${r.machine.cores}; worker CPU ms/req = workers' CPU ÷ req/s, what one request costs the workers.`,
      table: httpTable(r),
    },
    {
      title: '3. /healthz while the workers are saturated',
      note: `One GET /healthz every ${r.http.healthz.intervalMs} ms, for a few seconds with the server idle and then during the c=${r.http.healthzDuringConnections} phase.`,
      table: healthzTable(r),
    },
    {
      title: '4. Server-side breakdown',
      note: 'Medians (ms) of the `timings` in the responses. API overhead = total − (queue + decode + preprocess + inference + postprocess), per response: validation, header probing and the IPC round trip. The last column is what the client saw beyond total (upload, multipart parsing, serialisation).',
      table: timingsTable(r),
    },
    { title: '5. Targets', note: gapNote(r), table: targetsTable(r) },
  ];
}

/** Above this many cores used by other processes during a measurement, its figures are suspect. */
const NOISY_CORES = 0.1;

function interferenceNote(r: DetectBenchResult): string {
  const others = [r.raw.preprocess, ...r.raw.latency, ...r.raw.throughput, ...r.http.phases].map((m) => m.otherCores);
  const worst = Math.max(...others.filter(Number.isFinite));
  const line = `"other CPU" columns: cores used by processes outside the benchmark while that row was measured (the most: ${fmt(worst, 2)}).`;
  return worst > NOISY_CORES ? `${line} **The machine was not quiet: rows above ${NOISY_CORES} are pessimistic; run again.**` : line;
}

export function detectText(r: DetectBenchResult): string {
  const parts = [
    `Argus detection benchmark: ${r.model.alias} on ${r.image.file} (${r.image.width}×${r.image.height})`,
    textTable(machineTable(r.machine)),
    interferenceNote(r).replaceAll('**', ''),
  ];
  for (const s of sections(r)) {
    const note = s.note ? `${s.note.replaceAll('**', '')}\n` : '';
    parts.push(`${s.title}\n${note}\n${textTable(s.table)}`);
  }
  if (r.serverOutput) parts.push(`Server output (warn and above):\n${r.serverOutput.trim()}`);
  return `${parts.join('\n\n')}\n`;
}

export function detectMarkdown(r: DetectBenchResult): string {
  const parts = [
    `## Object detection (${r.model.alias})`,
    `Measured ${r.machine.date} at commit ${r.machine.commit} with \`BENCH_DURATION_S=${r.settings.durationS} npm run bench\`; model \`${r.model.file}\`, image ${r.image.file} (${r.image.width}×${r.image.height}).`,
    interferenceNote(r),
  ];
  for (const s of sections(r)) parts.push(`### ${s.title}\n\n${s.note ? `${s.note}\n\n` : ''}${markdownTable(s.table)}`);
  if (r.serverOutput) parts.push(`Server output (warn and above):\n\n\`\`\`\n${r.serverOutput.trim()}\n\`\`\``);
  return parts.join('\n\n');
}
