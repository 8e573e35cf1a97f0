/**
 * The DeepStack detection route as Frigate's `deepstack` detector uses it: every frame a JPEG of
 * the model input size (320×320 by default; PIL's quality 75), posted as `image`, with a 0.1 s
 * timeout by default. p50/p99 of POST /v1/vision/detection (the default detector) and
 * /v1/vision/custom/{model} at 1 and 4 connections, each connection sending its next frame as soon
 * as the previous answer arrives, over frames made from the coco128 val2017 images.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { multipartBody } from './multipart.js';
import { startServer, type BenchServer } from './server.js';
import { summarize, type Summary } from './stats.js';

/** Frigate's default `api_timeout` (frigate/detectors/plugins/deepstack.py): answers slower than this are lost. */
export const FRIGATE_TIMEOUT_MS = 100;

export interface DeepStackPhase {
  target: string;
  path: string;
  connections: number;
  requests: number;
  errors: number;
  requestsPerSec: number;
  latencyMs: Summary;
  /** Share of answers over Frigate's 0.1 s default timeout. */
  overFrigateTimeout: number;
}

export interface DeepStackBenchResult {
  frames: number;
  frameSize: string;
  durationS: number;
  preload: string[];
  /** The machine's 1-minute load average before and after the run: other work on the same cores. */
  loadAverage: [number, number];
  phases: DeepStackPhase[];
}

const TARGETS = [
  { target: 'default detector (yolov8n here)', path: '/v1/vision/detection' },
  { target: 'yolov8n (640 input)', path: '/v1/vision/custom/yolov8n' },
  { target: 'yolo11n (320 input)', path: '/v1/vision/custom/yolo11n' },
  { target: 'centernet (zero-download default, 512 input)', path: '/v1/vision/custom/centernet' },
];

async function frames(modelsDir: string, count: number): Promise<Buffer[]> {
  const dir = join(modelsDir, '../datasets/coco128/images/val2017');
  const names = readdirSync(dir).filter((n) => n.endsWith('.jpg')).sort().slice(0, count);
  return Promise.all(names.map((n) => sharp(readFileSync(join(dir, n))).resize(320, 320, { fit: 'fill' }).jpeg({ quality: 75 }).toBuffer()));
}

async function post(url: string, frame: { body: Buffer; contentType: string }): Promise<boolean> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': frame.contentType }, body: frame.body });
  const text = await response.text();
  return response.ok && text.includes('"success":true');
}

/** Closed loop: `connections` clients, each cycling through the frames, for `durationS`. */
async function phase(server: BenchServer, target: (typeof TARGETS)[number], bodies: Array<{ body: Buffer; contentType: string }>, connections: number, durationS: number): Promise<DeepStackPhase> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const frame = bodies[next++ % bodies.length];
      const t0 = performance.now();
      const ok = await post(server.url + target.path, frame).catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  }));
  const elapsedS = (performance.now() - started) / 1000;
  return {
    ...target, connections, requests: latencies.length, errors, requestsPerSec: latencies.length / elapsedS,
    latencyMs: summarize(latencies), overFrigateTimeout: latencies.filter((ms) => ms > FRIGATE_TIMEOUT_MS).length / Math.max(1, latencies.length),
  };
}

export async function runDeepStackBench(options: { repoRoot: string; modelsDir: string; durationS: number; progress: (message: string) => void }): Promise<DeepStackBenchResult> {
  const preload = ['yolov8n', 'yolo11n', 'centernet'];
  const loadBefore = loadavg()[0];
  const images = await frames(options.modelsDir, 32);
  const bodies = images.map((data, i) => multipartBody([{ name: 'image', filename: `frame${i}.jpg`, contentType: 'image/jpeg', data }]));
  // Pinned, warm workers (ARGUS_PRELOAD), as docs/deepstack.md recommends for Frigate; no history: a
  // camera's every frame is not worth a thumbnail.
  const server = await startServer({ repoRoot: options.repoRoot, modelsDir: options.modelsDir, env: { ARGUS_PRELOAD: preload.join(','), ARGUS_HISTORY_SIZE: '0' } });
  const phases: DeepStackPhase[] = [];
  try {
    for (const target of TARGETS) {
      for (let i = 0; i < 24; i++) await post(server.url + target.path, bodies[i % bodies.length]);
      for (const connections of [1, 4]) {
        const result = await phase(server, target, bodies, connections, options.durationS);
        options.progress(`deepstack ${target.path} c=${connections}: p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms, ${result.requestsPerSec.toFixed(1)} req/s`);
        phases.push(result);
      }
    }
  } finally {
    await server.stop();
  }
  return { frames: images.length, frameSize: '320×320 JPEG (quality 75)', durationS: options.durationS, preload, loadAverage: [loadBefore, loadavg()[0]], phases };
}

export function deepstackMarkdown(result: DeepStackBenchResult): string {
  const rows = result.phases.map((p) =>
    `| ${p.target} | \`${p.path}\` | ${p.connections} | ${p.latencyMs.p50.toFixed(1)} | ${p.latencyMs.p99.toFixed(1)} | ${p.requestsPerSec.toFixed(1)} | ${(100 * p.overFrigateTimeout).toFixed(1)} % | ${p.errors} |`);
  return [
    '## DeepStack detection (Frigate\'s frames)',
    '',
    `${result.frames} frames from coco128 val2017, each a ${result.frameSize} as Frigate sends them, cycled; ${result.durationS} s per row,`,
    `closed loop; models pinned warm (ARGUS_PRELOAD=${result.preload.join(',')}), history off. Latency is the client's, per request.`,
    `The machine's 1-minute load average was ${result.loadAverage[0].toFixed(1)} before and ${result.loadAverage[1].toFixed(1)} after the run: on 2 cores, other`,
    'work (other test suites) took most of the CPU, so these are figures for a busy machine, not a quiet one.',
    '',
    '| model | route | connections | p50 ms | p99 ms | req/s | over 0.1 s (Frigate\'s timeout) | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
