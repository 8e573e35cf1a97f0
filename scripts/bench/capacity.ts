/**
 * Measures the capacity model's inputs on a real deployment and checks its predictions:
 * 1 API node + 2 worker nodes (one single-thread yolov8n worker each) on Redis and PostgreSQL,
 * bus.jpg per request.
 *   1. calibration: a short closed-loop probe for the capacity, then Poisson arrivals between the
 *      two validation loads: each request's service time S (how long it held a worker slot, from
 *      BullMQ's events) and its delay outside the queue D (see `profileOf`);
 *   2. validation: Poisson arrivals at two rates (`--loads`, 50 % and 80 % of the slots' capacity by
 *      the calibration unless told), measured p99 against the model's p99 for the same rate, fed (a) the
 *      calibration's profile and (b) the run's own S and D (the queueing model alone: on a shared
 *      2-core machine S itself depends on how busy the machine is);
 *   3. predictions for 10 and 100 worker nodes from the calibration profile.
 * Writes docs/capacity.json (profile, validation, predictions) and prints a Markdown report.
 *
 *   npx tsx scripts/bench/capacity.ts [--calibrate-s 40] [--validate-s 90]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix } from '../../test/services.js';
import { rateForUtilization, simulate, type Prediction, type ServiceProfile } from '../capacity-model.js';
import { closedLoop, openLoop, poissonArrivals, type Sent, type Target } from './arrivals.js';
import { startWorker } from './distributed.js';
import { SlotLog, type SlotTimes } from './slot-times.js';
import { multipartBody } from './multipart.js';
import { startServer } from './server.js';
import { percentile } from './stats.js';

const MODEL = 'yolov8n';
const NODES = 2;
const SLOTS = 1;

const { values } = parseArgs({ options: {
  'calibrate-s': { type: 'string', default: '60' },
  'validate-s': { type: 'string', default: '150' },
  /** The two validation loads, as fractions of the slots' capacity. */
  loads: { type: 'string', default: '0.5,0.8' },
} });
const loads = values.loads!.split(',').map(Number);
const calibrationLoad = (loads[0] + loads[loads.length - 1]) / 2;
const repoRoot = resolve(import.meta.dirname, '../..');
const modelsDir = resolve(process.env.ARGUS_MODELS_DIR ?? join(repoRoot, '../shared/models'));

const computeMs = (t: Record<string, number>) => t.decode_ms + t.preprocess_ms + t.inference_ms + t.postprocess_ms;
const ok = (xs: Sent[]) => xs.filter((s) => s.status === 200 && s.timings);
const p = (xs: number[], q: number) => percentile([...xs].sort((a, b) => a - b), q);
const f = (x: number) => x.toFixed(1);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

interface Validation {
  utilization: number;
  rate: number;
  requests: number;
  errors: number;
  measured: { throughput: number; p50: number; p99: number; meanServiceMs: number; meanComputeMs: number };
  /** From the calibration's profile: what the model predicts before the run. */
  predicted: Prediction;
  p99Error: number;
  /** From the run's own service times and delays: the queueing model alone. */
  predictedFromRun: Prediction;
  p99ErrorFromRun: number;
}

/**
 * Service times and delays of answered requests. S is the time the request held a worker slot
 * (BullMQ's active → finished, from {@link SlotLog}); D is the rest of its latency outside the
 * queue (latency − (finished − added)). Requests and jobs are paired in order of arrival: the API
 * node adds jobs in the order requests reach it, and at these rates requests are spaced far wider
 * than the jitter of that hop.
 */
function profileOf(sent: Sent[], slots: SlotTimes[], note: string): ServiceProfile {
  const ordered = [...sent].sort((a, b) => a.at - b.at);
  const n = Math.min(ordered.length, slots.length);
  const serviceMs: number[] = [];
  const delayMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const job = slots[i];
    serviceMs.push(job.finished - job.active);
    delayMs.push(Math.max(0, ordered[i].latencyMs - (job.finished - job.added)));
  }
  return { serviceMs, delayMs, slots: SLOTS, note };
}

async function main(): Promise<void> {
  const redis = await redisForTests();
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const shared = { ARGUS_QUEUE_URL: redis.url, ARGUS_DB_URL: database.url, ARGUS_QUEUE_PREFIX: prefix };
  // No dashboard history: its thumbnails would take CPU from the nodes measured.
  const apiEnv = { ...shared, ARGUS_HISTORY_SIZE: '0' };
  const stops: Array<() => Promise<void>> = [];
  try {
    const workerEnv = { ...shared, ARGUS_MODELS: JSON.stringify({ [MODEL]: { instances: SLOTS, threads: 1 } }), ARGUS_PRELOAD: MODEL };
    for (let i = 0; i < NODES; i++) stops.push(await startWorker({ repoRoot, modelsDir }, workerEnv));
    const api = await startServer({ repoRoot, modelsDir, env: apiEnv });
    stops.push(() => api.stop());
    const slotLog = new SlotLog(redis.url, prefix, `m.${MODEL}`);
    await slotLog.ready();
    stops.push(() => slotLog.close());
    const form = multipartBody([{ name: 'image', filename: 'bus.jpg', contentType: 'image/jpeg', data: readFileSync(join(modelsDir, '../images/bus.jpg')) }, { name: 'model', value: MODEL }]);
    const target: Target = { url: `${api.url}/v1/detect`, body: form.body, contentType: form.contentType };

    console.error('warming up');
    await closedLoop(target, NODES * SLOTS * 2, 10);

    console.error('probing the capacity: one client per slot, closed loop, 20 s');
    const probeStart = await slotLog.now();
    const probe = ok(await closedLoop(target, NODES * SLOTS, 20));
    const probeRate = rateForUtilization(profileOf(probe, slotLog.since(probeStart), 'probe'), NODES, calibrationLoad);
    console.error(`calibrating: Poisson arrivals at ${f(probeRate)} req/s (${calibrationLoad * 100} %), ${values['calibrate-s']} s`);
    const calibrationStart = await slotLog.now();
    const calibration = ok(await openLoop(target, poissonArrivals(probeRate, Number(values['calibrate-s']), 65)));
    const profile = profileOf(calibration, slotLog.since(calibrationStart), `${MODEL} on bus.jpg, ${NODES} worker nodes × ${SLOTS} single-thread worker, 1 API node, all on one 2-core machine; Poisson arrivals at ${f(probeRate)} req/s`);
    const meanS = profile.serviceMs.reduce((a, b) => a + b, 0) / profile.serviceMs.length;
    console.error(`service time S: mean ${f(meanS)} ms, p99 ${f(p(profile.serviceMs, 99))} ms; delay D: p50 ${f(p(profile.delayMs, 50))} ms, p99 ${f(p(profile.delayMs, 99))} ms (${calibration.length} requests)`);

    const validation: Validation[] = [];
    for (const utilization of loads) {
      const rate = rateForUtilization(profile, NODES, utilization);
      console.error(`validating at ${f(rate)} req/s (${utilization * 100} %), ${values['validate-s']} s`);
      const arrivals = poissonArrivals(rate, Number(values['validate-s']), Math.round(utilization * 100));
      const runStart = await slotLog.now();
      const sent = await openLoop(target, arrivals);
      const good = ok(sent);
      const latencies = good.map((x) => x.latencyMs);
      const span = (Math.max(...sent.map((x) => x.at + x.latencyMs)) - sent[0].at) / 1000;
      const predicted = simulate({ profile, nodes: NODES, rate });
      const own = profileOf(good, slotLog.since(runStart), 'this run');
      const fromRun = simulate({ profile: own, nodes: NODES, rate });
      const measured = { throughput: good.length / span, p50: p(latencies, 50), p99: p(latencies, 99), meanServiceMs: own.serviceMs.reduce((a, b) => a + b, 0) / own.serviceMs.length, meanComputeMs: good.reduce((a, x) => a + computeMs(x.timings!), 0) / good.length };
      validation.push({
        utilization, rate, requests: sent.length, errors: sent.length - good.length, measured,
        predicted, p99Error: (predicted.latencyMs.p99 - measured.p99) / measured.p99,
        predictedFromRun: fromRun, p99ErrorFromRun: (fromRun.latencyMs.p99 - measured.p99) / measured.p99,
      });
      console.error(`  measured p99 ${f(measured.p99)} ms (S mean ${f(measured.meanServiceMs)} ms, of which compute ${f(measured.meanComputeMs)} ms); predicted ${f(predicted.latencyMs.p99)} ms from the calibration, ${f(fromRun.latencyMs.p99)} ms from this run's S and D`);
    }

    const predictions = [10, 100].flatMap((nodes) => [0.5, 0.7, 0.9].map((u) => simulate({ profile, nodes, rate: rateForUtilization(profile, nodes, u), requests: 400_000 })));
    writeFileSync(join(repoRoot, 'docs/capacity.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), profile, validation, predictions }, null, 1)}\n`);

    console.log('| load | rate req/s | requests | throughput req/s | S mean ms | measured p50 ms | measured p99 ms | predicted p99 (calibration) | error | predicted p99 (run\'s own S, D) | error |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const v of validation) {
      console.log(`| ${v.utilization * 100} % | ${f(v.rate)} | ${v.requests} (${v.errors} errors) | ${f(v.measured.throughput)} | ${f(v.measured.meanServiceMs)} | ${f(v.measured.p50)} | ${f(v.measured.p99)} | ${f(v.predicted.latencyMs.p99)} | ${pct(v.p99Error)} | ${f(v.predictedFromRun.latencyMs.p99)} | ${pct(v.p99ErrorFromRun)} |`);
    }
    console.log('\n| worker nodes | utilization | rate req/s | throughput req/s | p50 ms | p99 ms | mean wait ms |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const q of predictions) console.log(`| ${q.nodes} | ${(q.utilization * 100).toFixed(0)} % | ${f(q.rate)} | ${f(q.throughput)} | ${f(q.latencyMs.p50)} | ${f(q.latencyMs.p99)} | ${f(q.waitMs)} |`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await database.drop();
    await clearPrefix(redis.url, prefix);
    await redis.stop();
  }
}

await main();
