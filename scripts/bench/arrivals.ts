/**
 * Request generators that keep every request's own figures (latency and the server's timings),
 * which autocannon's histograms do not: an open loop (requests sent at given times, whatever the
 * answers do, as independent clients arrive) and a closed loop (`clients` each sending the next
 * request when its answer is in).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Sent {
  /** When it was sent, ms from the start of the run. */
  at: number;
  latencyMs: number;
  status: number;
  /** The server's stage timings (2xx answers). */
  timings?: Record<string, number>;
}

export interface Target {
  url: string;
  body: Buffer;
  contentType: string;
}

async function send(target: Target, start: number): Promise<Sent> {
  const at = performance.now() - start;
  try {
    const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': target.contentType }, body: target.body });
    const text = await response.text();
    const latencyMs = performance.now() - start - at;
    const timings = response.ok ? (JSON.parse(text) as { timings?: Record<string, number> }).timings : undefined;
    return { at, latencyMs, status: response.status, timings };
  } catch {
    return { at, latencyMs: performance.now() - start - at, status: 0 };
  }
}

/** Poisson arrival times (ms) at `rate` per second for `durationS`, from a seeded generator. */
export function poissonArrivals(rate: number, durationS: number, seed = 7): number[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const times: number[] = [];
  for (let t = -Math.log(1 - next()) / rate * 1000; t < durationS * 1000; t += -Math.log(1 - next()) / rate * 1000) times.push(t);
  return times;
}

/** Sends one request at each of `arrivalsMs` (open loop); resolves when every answer is in. */
export async function openLoop(target: Target, arrivalsMs: number[]): Promise<Sent[]> {
  const start = performance.now();
  const pending: Array<Promise<Sent>> = [];
  for (const due of arrivalsMs) {
    const wait = due - (performance.now() - start);
    if (wait > 0) await sleep(wait);
    pending.push(send(target, start));
  }
  return Promise.all(pending);
}

/** `clients` clients in a closed loop for `durationS`. */
export async function closedLoop(target: Target, clients: number, durationS: number): Promise<Sent[]> {
  const start = performance.now();
  const results: Sent[] = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() - start < durationS * 1000) results.push(await send(target, start));
  }));
  return results;
}
