/**
 * Capacity model of a distributed Argus: a discrete-event simulation of one model's queue served
 * by N worker nodes with `slots` worker processes each, fed with service times a benchmark
 * measured (`scripts/bench/capacity.ts` writes the profile). It predicts throughput and latency
 * percentiles for an arrival rate.
 *
 * The model (what it assumes):
 * - arrivals are Poisson at `rate` requests per second (many independent clients);
 * - one FIFO queue per model (BullMQ's, at one priority), served by every slot of every node; a
 *   slot is busy for the request's service time S (decode + preprocess + inference + postprocess,
 *   as the worker reports them), drawn from the measured ones;
 * - every request also spends a delay D outside any slot (HTTP, the API node, Redis round trips,
 *   the image by reference), drawn from the measured ones; API nodes and Redis never saturate;
 * - service times do not depend on N: each node has the cores it had when measured.
 *
 * @example
 *   npx tsx scripts/capacity-model.ts --profile bench-results/capacity.json --nodes 10 --rate 50
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from './seeded-random.js';

/** What a benchmark measured, per request, on one kind of worker node. */
export interface ServiceProfile {
  /** Time a request holds a worker slot, ms. */
  serviceMs: number[];
  /** Time a request spends outside any slot (HTTP, API node, Redis), ms. */
  delayMs: number[];
  /** Worker processes per node when measured. */
  slots: number;
  /** What was measured (model, image, machine), for the report. */
  note?: string;
}

export interface SimulationOptions {
  profile: ServiceProfile;
  nodes: number;
  /** Slots per node. @defaultValue profile.slots */
  slots?: number;
  /** Arrivals per second. */
  rate: number;
  /** Requests simulated (after a warm-up tenth that is not counted). @defaultValue 200000 */
  requests?: number;
  /** @defaultValue 1 */
  seed?: number;
}

export interface Prediction {
  nodes: number;
  slots: number;
  rate: number;
  /** Completed requests per second. */
  throughput: number;
  /** Fraction of slot time busy. */
  utilization: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number };
  /** Mean time waiting for a slot, ms. */
  waitMs: number;
  /** The queue grows without bound: arrivals exceed what the slots can serve. */
  saturated: boolean;
}


/** A binary min-heap of slot free times: the next slot to free up serves the next request (FIFO). */
class FreeTimes {
  private readonly heap: number[];
  constructor(size: number) {
    this.heap = new Array<number>(size).fill(0);
  }
  /** Takes the earliest free time, and puts back when that slot is free again. */
  serve(arrival: number, service: number): number {
    const h = this.heap;
    const start = Math.max(arrival, h[0]);
    h[0] = start + service;
    // sift down
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l] < h[m]) m = l;
      if (r < h.length && h[r] < h[m]) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
    return start;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Runs the simulation. With identical slots and one FIFO queue, each request starts at the
 * later of its arrival and the earliest time a slot frees up (the Kiefer–Wolfowitz recursion),
 * which is exact for this queue and fast enough for 100 nodes and millions of requests.
 */
export function simulate(options: SimulationOptions): Prediction {
  const { profile, nodes, rate } = options;
  const slots = options.slots ?? profile.slots;
  const total = options.requests ?? 200_000;
  const warmup = Math.floor(total / 10);
  const next = seededRandom(options.seed ?? 1);
  const pick = (xs: number[]) => xs[Math.floor(next() * xs.length)];
  const free = new FreeTimes(nodes * slots);
  const latencies = new Float64Array(total - warmup);
  let t = 0;
  let busy = 0;
  let wait = 0;
  let firstCounted = 0;
  let lastDone = 0;
  for (let i = 0; i < total; i++) {
    t += -Math.log(1 - next()) / rate * 1000;
    const service = pick(profile.serviceMs);
    const start = free.serve(t, service);
    if (i < warmup) continue;
    if (i === warmup) firstCounted = t;
    const latency = pick(profile.delayMs) + (start - t) + service;
    latencies[i - warmup] = latency;
    busy += service;
    wait += start - t;
    lastDone = Math.max(lastDone, start + service);
  }
  const span = (lastDone - firstCounted) / 1000;
  latencies.sort();
  const n = latencies.length;
  const meanService = mean(profile.serviceMs);
  return {
    nodes,
    slots,
    rate,
    throughput: n / span,
    utilization: busy / (span * 1000 * nodes * slots),
    latencyMs: { mean: latencies.reduce((s, x) => s + x, 0) / n, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99) },
    waitMs: wait / n,
    saturated: rate * meanService / 1000 >= nodes * slots,
  };
}

/** The arrival rate (per second) that keeps `nodes` nodes' slots busy `utilization` of the time. */
export function rateForUtilization(profile: ServiceProfile, nodes: number, utilization: number, slots = profile.slots): number {
  return utilization * nodes * slots * 1000 / mean(profile.serviceMs);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'bench-results/capacity.json' },
      nodes: { type: 'string', default: '2' },
      slots: { type: 'string' },
      rate: { type: 'string' },
      utilization: { type: 'string' },
      requests: { type: 'string', default: '200000' },
    },
  });
  const file = JSON.parse(readFileSync(values.profile!, 'utf8')) as { profile?: ServiceProfile } & ServiceProfile;
  const profile = file.profile ?? file;
  const nodes = Number(values.nodes);
  const slots = values.slots ? Number(values.slots) : profile.slots;
  const rate = values.rate ? Number(values.rate) : rateForUtilization(profile, nodes, Number(values.utilization ?? 0.7), slots);
  const p = simulate({ profile, nodes, slots, rate, requests: Number(values.requests) });
  const f = (x: number) => x.toFixed(1);
  console.log(`${nodes} nodes × ${slots} slots at ${f(rate)} req/s: throughput ${f(p.throughput)} req/s, utilization ${(p.utilization * 100).toFixed(0)} %, `
    + `latency p50 ${f(p.latencyMs.p50)} ms, p90 ${f(p.latencyMs.p90)} ms, p99 ${f(p.latencyMs.p99)} ms, mean wait ${f(p.waitMs)} ms${p.saturated ? ' (SATURATED: the queue grows without bound)' : ''}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
