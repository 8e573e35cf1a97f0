/**
 * Closed-loop HTTP load with autocannon: `connections` clients, each sending its next request as
 * soon as the previous answer arrives, for a fixed time.
 */
import autocannon from 'autocannon';
import { summarize, type Summary } from './stats.js';

export interface LoadOptions {
  url: string;
  /** @defaultValue 'POST' */
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  connections: number;
  durationS: number;
  /** Seconds before a request is abandoned as timed out. @defaultValue 30 */
  timeoutS?: number;
  /** Receives the body of every 2xx response (for server-side timings and sanity checks). */
  onOkBody?: (body: string) => void;
}

export interface LoadResult {
  connections: number;
  /** Seconds autocannon measured for. */
  durationS: number;
  /** 2xx responses. */
  ok: number;
  /** 2xx responses per second over the whole run. */
  requestsPerSec: number;
  /** Per-response latency of 2xx responses, from autocannon's `response` events (exact p95). */
  latencyMs: Summary;
  /** autocannon's own histogram (integer ms): p50, p90, p97.5 and p99. */
  autocannonLatencyMs: { mean: number; p50: number; p90: number; p97_5: number; p99: number; max: number };
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** The first few distinct error messages, to say what went wrong. */
  errorMessages: string[];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorMessages = new Set<string>();
  const instance = autocannon({
    url: options.url,
    method: options.method ?? 'POST',
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    duration: options.durationS,
    timeout: options.timeoutS ?? 30,
    requests: [{
      onResponse: (status, body) => {
        if (status >= 200 && status < 300) options.onOkBody?.(body);
      },
    }],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  instance.on('reqError', (error) => {
    if (errorMessages.size < 5) errorMessages.add(error.message);
  });
  const result = await instance;
  const l = result.latency;
  return {
    connections: options.connections,
    durationS: result.duration,
    ok: result['2xx'],
    requestsPerSec: result['2xx'] / result.duration,
    latencyMs: summarize(latencies),
    autocannonLatencyMs: { mean: l.mean, p50: l.p50, p90: l.p90, p97_5: l.p97_5, p99: l.p99, max: l.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    errorMessages: [...errorMessages],
  };
}
