/**
 * The OCR section of `npm run bench`: PP-OCRv4 on ../shared/images/misc/page.png (7 lines).
 *   1. raw: the detection model once plus the recognition model once per line, on exactly the
 *      tensors Argus's runner builds for that page, in this process, 1 thread (no decode, no
 *      resize, no line finding, no HTTP);
 *   2. in process: Argus's OCR runner (decode, resize, line finding, crops, CTC) with the same
 *      sessions, and @gutenye/ocr-node's own `Ocr.detect` on the same models, for comparison;
 *   3. end to end: POST /v1/ocr at 1 and 2 connections, with the server's stage timings.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { onnxRuntime } from '../../src/runtimes/onnx.js';
import type { RuntimeSession, TensorData } from '../../src/runtimes/types.js';
import { createOcrRunner } from '../../src/tasks/ocr.js';
import type { OcrOutput, OcrParams } from '../../src/tasks/params/ocr.js';
import { metered, type Metered } from './cpu.js';
import { runLoad, type LoadResult } from './http-load.js';
import { catalogModel } from './inputs.js';
import type { MachineFacts } from './machine.js';
import { multipartBody } from './multipart.js';
import { fmt, markdownTable, textTable, type Table } from './report.js';
import { startServer, waitUntilIdle, warmUp } from './server.js';
import { TimingsCollector, type TimingBreakdown } from './server-timings.js';
import { summarize, type Summary } from './stats.js';

export interface OcrBenchSettings {
  repoRoot: string;
  modelsDir: string;
  durationS: number;
  rawRuns: number;
  rawWarmup: number;
  machine: MachineFacts;
}

export interface OcrBenchResult {
  benchmark: 'ocr';
  machine: MachineFacts;
  image: { file: string; bytes: number; lines: number; text: string };
  runs: number;
  /** The 1-minute load average when the section started: other work on the machine inflates every figure. */
  loadAverage: number;
  raw: { detectionMs: Summary; recognitionMs: Summary; totalMs: Summary; detectionInput: readonly number[] };
  inProcess: { argusMs: Summary; gutenyeMs: Summary; gutenyeLines: number };
  http: Array<{ load: Metered<LoadResult>; server: TimingBreakdown }>;
}

const ALIAS = 'ppocr-v4';
const CONNECTIONS = [1, 2];
/** A page takes about 0.3 s: fewer timed runs than a detector's 100 keep this section under a minute. */
const MAX_RUNS = 30;
const PARAMS: OcrParams = { min_confidence: 0.5, max_side: 960, min_side: 0 };

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** A session that remembers the feeds of its calls while `recording`, to replay them raw later. */
function recording(session: RuntimeSession, feeds: Array<Record<string, TensorData>>, state: { on: boolean }): RuntimeSession {
  return Object.assign(Object.create(session) as RuntimeSession, {
    run(input: Record<string, TensorData>, outputs?: readonly string[]) {
      if (state.on) feeds.push(Object.fromEntries(Object.entries(input).map(([k, t]) => [k, { ...t, data: t.data.slice() as TensorData['data'] }])));
      return session.run(input, outputs);
    },
  });
}

async function timed(runs: number, warmup: number, once: () => Promise<unknown>): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    await once();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return summarize(times);
}

export async function runOcrBench(settings: OcrBenchSettings): Promise<OcrBenchResult> {
  const loadAverage = loadavg()[0];
  const imageFile = join(settings.modelsDir, '..', 'images', 'misc', 'page.png');
  const image = readFileSync(imageFile);
  const runs = Math.min(settings.rawRuns, MAX_RUNS);
  const warmup = Math.min(settings.rawWarmup, 3);
  const model = catalogModel(settings.modelsDir, ALIAS);
  const files = model.files ?? {};
  const load = (file: string) => onnxRuntime.load({ file, threads: 1, provider: 'cpu' });

  progress('ocr: loading PP-OCRv4 in process (1 thread)');
  const detection = await load(model.path);
  const recognition = await load(files.recognition);
  const detFeeds: Array<Record<string, TensorData>> = [];
  const recFeeds: Array<Record<string, TensorData>> = [];
  const state = { on: true };
  const runner = await createOcrRunner({
    alias: ALIAS, session: recording(detection, detFeeds, state), labels: [], maxPixels: 40_000_000, files,
    loadSession: async () => recording(recognition, recFeeds, state),
  });
  const first = (await runner.run({ image }, PARAMS)).output as OcrOutput;
  state.on = false;
  if (first.lines.length === 0) throw new Error('OCR read no line in page.png: a fast wrong answer is not a result');

  progress(`ocr: raw models, ${runs} runs`);
  const detectionMs = await timed(runs, warmup, () => detection.run(detFeeds[0]));
  const recognitionMs = await timed(runs, warmup, async () => {
    for (const feed of recFeeds) await recognition.run(feed);
  });
  const totalMs = await timed(runs, warmup, async () => {
    await detection.run(detFeeds[0]);
    for (const feed of recFeeds) await recognition.run(feed);
  });
  progress(`ocr: Argus runner and @gutenye/ocr-node Ocr.detect in process, ${runs} runs`);
  const argusMs = await timed(runs, warmup, () => runner.run({ image }, PARAMS));
  const { default: Ocr } = await import('@gutenye/ocr-node');
  const gutenye = await Ocr.create({ models: { detectionPath: model.path, recognitionPath: files.recognition, dictionaryPath: files.dictionary }, onnxOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  const gutenyeLines = ((await gutenye.detect(image as unknown as string)) as unknown[]).length;
  const gutenyeMs = await timed(runs, warmup, () => gutenye.detect(image as unknown as string));
  await Promise.all([detection.release(), recognition.release()]);

  progress('ocr: starting argus serve');
  const server = await startServer({ repoRoot: settings.repoRoot, modelsDir: settings.modelsDir });
  const http: OcrBenchResult['http'] = [];
  try {
    const request = multipartBody([{ name: 'image', filename: 'page.png', contentType: 'image/png', data: image }]);
    const warm = await warmUp(server.url, { path: '/v1/ocr', body: request.body, contentType: request.contentType, model: ALIAS, concurrency: 4 });
    for (const body of warm.bodies) if ((JSON.parse(body) as OcrOutput).lines.length !== first.lines.length) throw new Error(`/v1/ocr read a different page: ${body.slice(0, 300)}`);
    for (const connections of CONNECTIONS) {
      progress(`ocr: POST /v1/ocr, ${connections} connection(s), ${settings.durationS} s`);
      const timings = new TimingsCollector();
      const result = await metered(() => runLoad({ url: `${server.url}/v1/ocr`, headers: { 'content-type': request.contentType }, body: request.body, connections, durationS: settings.durationS, onOkBody: timings.add }));
      http.push({ load: result, server: timings.breakdown() });
      await waitUntilIdle(server.url);
    }
  } finally {
    await server.stop();
  }
  return {
    benchmark: 'ocr',
    machine: settings.machine,
    image: { file: 'misc/page.png', bytes: image.length, lines: first.lines.length, text: first.text },
    runs,
    loadAverage,
    raw: { detectionMs, recognitionMs, totalMs, detectionInput: detFeeds[0][Object.keys(detFeeds[0])[0]].dims },
    inProcess: { argusMs, gutenyeMs, gutenyeLines },
    http,
  };
}

function tables(r: OcrBenchResult): Table[] {
  const p = (s: Summary) => [fmt(s.p50), fmt(s.p90), fmt(s.p99)];
  const latency: Table = {
    headers: ['stage (page.png, 1 thread)', 'p50 ms', 'p90 ms', 'p99 ms'],
    rows: [
      [`raw detection model (input ${r.raw.detectionInput.join('×')})`, ...p(r.raw.detectionMs)],
      [`raw recognition model (${r.image.lines} lines)`, ...p(r.raw.recognitionMs)],
      ['raw models together', ...p(r.raw.totalMs)],
      ['Argus OCR runner in process (decode → lines → text)', ...p(r.inProcess.argusMs)],
      [`@gutenye/ocr-node Ocr.detect in process (${r.inProcess.gutenyeLines} lines)`, ...p(r.inProcess.gutenyeMs)],
    ],
  };
  const served: Table = {
    headers: ['POST /v1/ocr', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server decode', 'preprocess', 'inference', 'postprocess', 'queue', 'API overhead'],
    rows: r.http.map(({ load, server }) => [
      `${load.connections} connection(s)`, fmt(load.requestsPerSec, 2), fmt(load.latencyMs.p50), fmt(load.latencyMs.p99), load.errors + load.non2xx,
      fmt(server.decode), fmt(server.preprocess), fmt(server.inference), fmt(server.postprocess), fmt(server.queue), fmt(server.apiOverhead),
    ]),
  };
  return [latency, served];
}

export function ocrText(r: OcrBenchResult): string {
  return `\nOCR (${r.runs} runs each)\n\n${tables(r).map(textTable).join('\n\n')}\n`;
}

export function ocrMarkdown(r: OcrBenchResult): string {
  const [latency, served] = tables(r);
  const c1 = r.http.find((h) => h.load.connections === 1);
  const gap = c1 ? c1.load.latencyMs.p50 - r.raw.totalMs.p50 : Number.NaN;
  return [
    `## OCR (PP-OCRv4, ${r.machine.date})`,
    '',
    `\`ppocr-v4\` on \`${r.image.file}\` (${r.image.bytes} bytes, ${r.image.lines} lines read), ${r.runs} timed runs in process; HTTP phases of the configured duration. Raw = the two ONNX models alone on the tensors Argus builds for this page. Load average at the start: ${fmt(r.loadAverage, 2)} on ${r.machine.cores} cores.`,
    '',
    markdownTable(latency),
    '',
    markdownTable(served),
    '',
    `End to end at 1 connection is ${fmt(gap)} ms over the raw models: image decode, the detector's input resize, line finding (opencv.js contours and perspective crops), crop resizing, CTC decoding and the HTTP/IPC trip.`,
  ].join('\n');
}
