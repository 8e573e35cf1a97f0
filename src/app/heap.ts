import { setFlagsFromString } from 'node:v8';

/**
 * Lets a serving process's heap grow by `percent` past what the last full garbage collection kept
 * before the next one (config `heapGrowingPercent`, default 100: twice). V8 picks the factor
 * itself from its GC and allocation speeds, and for the API process it chose about 1.1: with
 * ~45 MB live and every request's objects (≈150 KB) promoted by the scavenges that uploads'
 * external memory triggers, a full mark-compact of the whole heap ran every ~50 requests, and
 * V8's four helper threads spent 1.7 ms of CPU per request on it. With 100 it runs every few
 * hundred (squeezenet at c=4: API process 4.6–4.9 → 2.9–3.8 ms of CPU per request;
 * docs/benchmarks.md), for at most one more heap's worth of memory. V8 reads the flag each time
 * it sets the next limit, so setting it at start-up is enough. Node refuses the flag in
 * NODE_OPTIONS; one given on node's own command line wins. Returns whether it was set.
 */
export function tuneHeap(percent: number, argv: readonly string[] = process.execArgv): boolean {
  if (argv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${Math.max(0, Math.round(percent))}`);
  return true;
}
