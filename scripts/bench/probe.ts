/**
 * A steady trickle of requests beside a load test, to see whether the server still answers
 * promptly while its workers are saturated (an event loop blocked by inference or by shuttling
 * images would show here first).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize, type Summary } from './stats.js';

export interface ProbeResult {
  url: string;
  intervalMs: number;
  /** Time to the whole body, of answered requests. */
  latencyMs: Summary;
  /** Requests that failed, timed out or answered non-2xx. */
  failures: number;
}

export interface Probe {
  /** Stops after the request in flight, and summarises. */
  stop(): Promise<ProbeResult>;
}

/**
 * Sends GET `url` every `intervalMs` (one at a time: a slow answer delays the next request rather
 * than piling requests up) until stopped.
 */
export function startProbe(url: string, intervalMs: number, timeoutMs = 5_000): Probe {
  const latencies: number[] = [];
  let failures = 0;
  let stopped = false;

  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - started);
        else failures++;
      } catch {
        failures++;
      }
      await sleep(Math.max(0, started + intervalMs - performance.now()));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      return { url, intervalMs, latencyMs: summarize(latencies), failures };
    },
  };
}
