/**
 * CPU per answered request, from /proc/<pid>/stat (utime + stime): of the API process alone and of
 * the whole server (the API process and its children: model workers, the preview helper), with the
 * history on and off, and as the upload grows. An A/B tool: give it two checkouts and it measures
 * both in one run, alternating, so the two see the same machine state (this machine is shared and
 * noisy; compare the ratios, not the absolute figures across runs).
 *
 *   npx tsx scripts/cpu-per-request.ts                       # this checkout only
 *   CPU_AB=/tmp/argus-base npx tsx scripts/cpu-per-request.ts  # base (the other checkout) vs this one
 *
 * Environment: CPU_N (requests per phase, default 400), CPU_C (connections, default 4),
 * CPU_MODELS (default squeezenet,resnet18-embed,yolov8n), CPU_SIZES (upload-size phases on
 * squeezenet, default on; 0 turns them off), CPU_RSS (requests of the RSS phase, squeezenet,
 * history on; default 0 = skipped, the figure is 10000), CPU_ROUNDS (A/B rounds, default 1),
 * ARGUS_MODELS_DIR (default ../shared/models). The checkouts must have node_modules (a symlink will do).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { processTree } from './bench/cpu.js';
import { multipartBody, type MultipartBody } from './bench/multipart.js';
import { startServer, waitUntilIdle, warmUp, type BenchServer } from './bench/server.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS_DIR = resolve(REPO_ROOT, process.env.ARGUS_MODELS_DIR || '../shared/models');
/** A 640×426 COCO photo (val2017), the reference image. */
const PHOTO = join(dirname(MODELS_DIR), 'datasets/coco128/images/val2017/000000000139.jpg');
const N = Number(process.env.CPU_N ?? 400);
const C = Number(process.env.CPU_C ?? 4);
const ROUNDS = Number(process.env.CPU_ROUNDS ?? 1);
const RSS_N = Number(process.env.CPU_RSS ?? 0);
const SIZES = process.env.CPU_SIZES !== '0';
const TICKS = 100; // CLK_TCK on Linux

const MODELS: Record<string, { path: string; check: (body: Record<string, unknown>) => boolean }> = {
  squeezenet: { path: '/v1/classify', check: (b) => Array.isArray(b.predictions) },
  'resnet18-embed': { path: '/v1/embed', check: (b) => Array.isArray(b.embedding) },
  yolov8n: { path: '/v1/detect', check: (b) => Array.isArray(b.detections) },
};
const models = (process.env.CPU_MODELS ?? 'squeezenet,resnet18-embed,yolov8n').split(',').map((m) => m.trim()).filter(Boolean);

function progress(message: string): void {
  process.stderr.write(`cpu: ${message}\n`);
}

/** utime + stime + reaped children's of one process, in ticks; 0 when it is gone. */
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return f[11] + f[12] + f[13] + f[14];
  } catch {
    return 0;
  }
}

function rssMiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  } catch {
    return Number.NaN;
  }
}

interface Snapshot {
  api: number;
  tree: Map<number, number>;
}

function snapshot(apiPid: number): Snapshot {
  return { api: ticks(apiPid), tree: new Map(processTree(apiPid).map((pid) => [pid, ticks(pid)])) };
}

/** CPU ms of the API process and of the whole tree between two snapshots (a child started meanwhile counts from 0). */
function used(before: Snapshot, after: Snapshot): { apiMs: number; serverMs: number } {
  let tree = 0;
  for (const [pid, t] of after.tree) tree += t - (before.tree.get(pid) ?? 0);
  return { apiMs: ((after.api - before.api) * 1000) / TICKS, serverMs: (tree * 1000) / TICKS };
}

interface Row {
  variant: string;
  history: 'on' | 'off';
  model: string;
  upload: number;
  n: number;
  ok: number;
  reqPerSec: number;
  apiMs: number;
  serverMs: number;
}

async function load(url: string, body: MultipartBody, amount: number, connections: number): Promise<{ ok: number; seconds: number; errors: number }> {
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': body.contentType }, body: body.body, connections, amount, timeout: 60 });
  return { ok: result['2xx'], seconds: result.duration, errors: result.errors + result.non2xx + result.timeouts };
}

async function measure(server: BenchServer, variant: string, history: 'on' | 'off', model: string, image: Buffer, n: number): Promise<Row> {
  const { path, check } = MODELS[model];
  const body = multipartBody([{ name: 'image', filename: 'photo.jpg', contentType: 'image/jpeg', data: image }, { name: 'model', value: model }]);
  const warm = await warmUp(server.url, { path, body: body.body, contentType: body.contentType, model, concurrency: C, maxRounds: 4 });
  if (!check(JSON.parse(warm.bodies[0]) as Record<string, unknown>)) throw new Error(`${model}: unexpected answer ${warm.bodies[0].slice(0, 200)}`);
  await load(server.url + path, body, 4 * C, C); // a few more, at the measured concurrency
  await waitUntilIdle(server.url);
  const before = snapshot(server.pid);
  const run = await load(server.url + path, body, n, C);
  await waitUntilIdle(server.url);
  const cpu = used(before, snapshot(server.pid));
  if (run.errors) progress(`${variant} ${model}: ${run.errors} errors`);
  const row: Row = { variant, history, model, upload: image.length, n, ok: run.ok, reqPerSec: run.ok / run.seconds, apiMs: cpu.apiMs / run.ok, serverMs: cpu.serverMs / run.ok };
  progress(`${variant} history ${history} ${model} ${(image.length / 1024).toFixed(0)} KiB: ${row.reqPerSec.toFixed(1)} req/s, API ${row.apiMs.toFixed(2)} ms/req, server ${row.serverMs.toFixed(2)} ms/req`);
  return row;
}

/**
 * JPEGs of about 50 KB, 500 KB and 5 MB from the photo: the width that gives the size at a fixed
 * quality, found by bisection (a bigger file of the same photo is a bigger picture, as from a camera).
 */
async function uploads(photo: Buffer): Promise<Buffer[]> {
  const at = (width: number, quality: number) => sharp(photo).resize({ width }).jpeg({ quality, chromaSubsampling: quality >= 95 ? '4:4:4' : '4:2:0' }).toBuffer();
  const sized = async (target: number, quality: number) => {
    let [low, high] = [64, 8192];
    let best = await at(low, quality);
    while (high - low > 16) {
      const mid = Math.round((low + high) / 2);
      const candidate = await at(mid, quality);
      if (candidate.length < target) low = mid;
      else high = mid;
      if (Math.abs(candidate.length - target) < Math.abs(best.length - target)) best = candidate;
    }
    return best;
  };
  return [await sized(50_000, 85), await sized(500_000, 90), await sized(5_000_000, 97)];
}

async function main(): Promise<void> {
  const variants: Array<[string, string]> = process.env.CPU_AB ? [['base', resolve(process.env.CPU_AB)], ['this', REPO_ROOT]] : [['this', REPO_ROOT]];
  const photo = readFileSync(PHOTO);
  const sized = SIZES ? await uploads(photo) : [];
  const rows: Row[] = [];
  const rss: Array<{ variant: string; warmMiB: number; afterMiB: number; n: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const history of ['on', 'off'] as const) {
      for (const [variant, root] of round % 2 ? [...variants].reverse() : variants) {
        progress(`round ${round + 1}, ${variant}, history ${history}: starting the server`);
        const server = await startServer({ repoRoot: root, modelsDir: MODELS_DIR, env: { ARGUS_HISTORY_SIZE: history === 'on' ? '200' : '0' } });
        try {
          for (const model of models) rows.push(await measure(server, variant, history, model, photo, N));
          if (history === 'on') for (const image of sized) rows.push(await measure(server, variant, history, 'squeezenet', image, Math.max(50, N / 2)));
          if (history === 'on' && RSS_N > 0 && round === 0) {
            const warmMiB = rssMiB(server.pid);
            const body = multipartBody([{ name: 'image', filename: 'photo.jpg', contentType: 'image/jpeg', data: photo }, { name: 'model', value: 'squeezenet' }]);
            progress(`${variant}: RSS phase, ${RSS_N} requests`);
            await load(server.url + MODELS.squeezenet.path, body, RSS_N, C);
            await waitUntilIdle(server.url);
            rss.push({ variant, warmMiB, afterMiB: rssMiB(server.pid), n: RSS_N });
          }
        } finally {
          await server.stop();
        }
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const key = (r: Row) => `${r.variant}|${r.history}|${r.model}|${r.upload}`;
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  console.log(`\n${N} requests per phase at c=${C}, ${ROUNDS} round(s); medians over rounds. Image ${PHOTO.split('/').pop()} (${photo.length} bytes) unless the upload column says otherwise.\n`);
  console.log('| variant | history | model | upload KiB | req/s | API CPU ms/req | server CPU ms/req |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const group of groups.values()) {
    const r = group[0];
    console.log(`| ${r.variant} | ${r.history} | ${r.model} | ${(r.upload / 1024).toFixed(0)} | ${median(group.map((g) => g.reqPerSec)).toFixed(1)} | ${median(group.map((g) => g.apiMs)).toFixed(2)} | ${median(group.map((g) => g.serverMs)).toFixed(2)} |`);
  }
  console.log('\nHistory on ÷ off (req/s, and server CPU per request), photo upload:\n');
  console.log('| variant | model | req/s on ÷ off | server ms on ÷ off | API ms on − off |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const [variant] of variants) {
    for (const model of models) {
      const pick = (h: string) => groups.get(`${variant}|${h}|${model}|${photo.length}`) ?? [];
      const on = pick('on');
      const off = pick('off');
      if (!on.length || !off.length) continue;
      const m = (rs: Row[], f: (r: Row) => number) => median(rs.map(f));
      console.log(`| ${variant} | ${model} | ${(m(on, (r) => r.reqPerSec) / m(off, (r) => r.reqPerSec)).toFixed(3)} | ${(m(on, (r) => r.serverMs) / m(off, (r) => r.serverMs)).toFixed(3)} | ${(m(on, (r) => r.apiMs) - m(off, (r) => r.apiMs)).toFixed(2)} |`);
    }
  }
  if (rss.length) {
    console.log('\n| variant | requests | API RSS after warm-up MiB | after MiB |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const r of rss) console.log(`| ${r.variant} | ${r.n} | ${r.warmMiB.toFixed(0)} | ${r.afterMiB.toFixed(0)} |`);
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
