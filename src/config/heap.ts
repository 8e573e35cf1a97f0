import { setFlagsFromString } from 'node:v8';

// The config layer, because it reads NODE_OPTIONS (only src/config reads the environment).

/** How much V8 lets the old generation grow past what the last full collection kept, in percent. */
export const SERVING_HEAP_GROWING_PERCENT = 100;

/**
 * Lets a serving process's heap grow to twice what the last full garbage collection kept before
 * the next one. V8 picks the factor itself from its GC and allocation speeds, and for the API
 * process it chose about 1.1: with ~45 MB live and every request's objects (≈150 KB) promoted by
 * the scavenges that uploads' external memory triggers, a full mark-compact of the whole heap ran
 * every ~50 requests, and V8's four helper threads marked and swept 1.7 ms of CPU per request.
 * With a factor of 2 it runs every few hundred (measured on squeezenet at c=4, 2000 requests:
 * API process 4.6–4.8 → 2.9–3.0 ms of CPU per request; docs/benchmarks.md), for at most one more
 * heap's worth of memory (~45 MB). A value given on the command line or in NODE_OPTIONS wins.
 * V8 reads the flag each time it sets the next limit, so setting it at start-up is enough.
 */
export function tuneHeapForServing(argv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = [...argv, ...nodeOptions.split(/\s+/)].some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
  if (given) return false;
  setFlagsFromString(`--heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT}`);
  return true;
}
