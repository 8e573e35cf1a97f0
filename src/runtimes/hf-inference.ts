/**
 * The Hugging Face Inference API as an upstream kind (`source.kind: "hf-inference"`): image bytes
 * are POSTed to `{baseUrl}/models/{model}` with the token as a Bearer key, and a classifier answers
 * `[{label, score}, …]`. What the original recognizer did, with its failure modes handled:
 *
 * - 503 while the model loads (`{"error": "… is currently loading", "estimated_time": 20.0}`):
 *   wait the estimated time and try again, within the request's time budget (`timeoutMs`); past
 *   it, a 503 `upstream_loading` with Retry-After;
 * - 429: wait the upstream's Retry-After (bounded) and try again, at most twice; then a 429
 *   `upstream_rate_limited` with its Retry-After;
 * - 401/403, 4xx, 5xx, unreachable, timeouts: the upstream client's usual errors.
 */
import { errors } from '../errors.js';
import { retryAfterSeconds, type UpstreamSession } from './upstream.js';

/** One label and its score, as the Inference API's image-classification task answers. */
export interface HfLabelScore {
  label: string;
  score: number;
}

export interface HfRequestOptions {
  signal?: AbortSignal;
  /** Waits between attempts (tests shorten nothing; the fake server's hints are small). @defaultValue setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Rate-limited attempts retried before the 429 is passed on. */
const RATE_LIMIT_RETRIES = 2;
/** Longest single wait for a rate limit to pass; a longer Retry-After is passed on to the client instead. */
const MAX_RATE_LIMIT_WAIT_S = 10;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : errors.cancelled());
    }, { once: true });
  });
}

/** The estimated seconds of a "model is loading" 503 body, or undefined when the 503 is something else. */
export function loadingEstimate(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; estimated_time?: unknown };
    const loading = typeof parsed.error === 'string' && /loading/i.test(parsed.error);
    if (!loading) return undefined;
    return typeof parsed.estimated_time === 'number' && parsed.estimated_time > 0 ? parsed.estimated_time : 1;
  } catch {
    return undefined;
  }
}

/** The Inference API path of a model id (`google/vit-base-patch16-224` keeps its slash). */
function modelPath(model: string): string {
  return `/models/${model.split('/').map(encodeURIComponent).join('/')}`;
}

/** Classifies one image through the Inference API: labels and scores as the upstream answered them. */
export async function hfClassify(session: UpstreamSession, bytes: Uint8Array, contentType: string, options: HfRequestOptions = {}): Promise<HfLabelScore[]> {
  const { client, upstreamModel } = session;
  const wait = options.sleep ?? sleep;
  const deadline = Date.now() + client.timeoutMs;
  let rateLimited = 0;
  for (;;) {
    const answer = await client.postBytes(modelPath(upstreamModel), bytes, contentType, { signal: options.signal });
    if (answer.status >= 200 && answer.status < 300) return parseLabels(session, answer.body);
    if (answer.status === 503) {
      const estimate = loadingEstimate(answer.body);
      if (estimate !== undefined) {
        const waitMs = Math.ceil(estimate * 1000);
        if (Date.now() + waitMs > deadline) throw errors.upstreamLoading(client.alias, client.baseUrl, Math.ceil(estimate));
        await wait(waitMs, options.signal);
        continue;
      }
    }
    if (answer.status === 429 && rateLimited < RATE_LIMIT_RETRIES) {
      const seconds = retryAfterSeconds(answer.retryAfter);
      if (seconds <= MAX_RATE_LIMIT_WAIT_S && Date.now() + seconds * 1000 <= deadline) {
        rateLimited++;
        await wait(seconds * 1000, options.signal);
        continue;
      }
    }
    throw client.errorFor(answer.status, answer.body, answer.retryAfter);
  }
}

function parseLabels(session: UpstreamSession, body: string): HfLabelScore[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw errors.upstreamFailed(session.client.alias, session.client.baseUrl, `its answer is not JSON: ${body.slice(0, 200)}`);
  }
  // Some deployments wrap the list once more ([[…]]) for batched inputs.
  const list = Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed;
  const valid = Array.isArray(list) && list.every((item) => typeof item?.label === 'string' && typeof item?.score === 'number');
  if (!valid) throw errors.upstreamFailed(session.client.alias, session.client.baseUrl, `its answer is not [{label, score}, …]: ${body.slice(0, 200)}`);
  return list as HfLabelScore[];
}
