/** HTTP GET for pulls: Node's built-in fetch with a redirect limit and connect/idle timeouts. */

export interface HttpOptions {
  /** Longest wait for a response's headers, per request (redirect hops included). @defaultValue 30000 */
  connectTimeoutMs?: number;
  /** Longest wait for the next chunk of a body before the transfer is abandoned. @defaultValue 60000 */
  idleTimeoutMs?: number;
  /** Cancels the request (Ctrl-C, server shutdown). */
  signal?: AbortSignal;
}

/** Redirects followed before giving up; Hugging Face needs one or two (resolve → CDN). */
export const MAX_REDIRECTS = 5;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A transfer that failed below HTTP (refused, reset, timed out, too many redirects); the message is for people. */
export class HttpFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface OpenResponse {
  response: Response;
  /** The URL that answered, after redirects. */
  url: string;
  /** The body, chunk by chunk; throws {@link HttpFailure} when the connection breaks or stalls. */
  chunks(): AsyncGenerator<Uint8Array>;
  /** Drops the body unread (for answers the caller will not use). */
  discard(): Promise<void>;
}

/**
 * GETs `url`, following up to {@link MAX_REDIRECTS} redirects itself: fetch's own limit is 20, and
 * following by hand lets us refuse a redirect from https to plain http, which fetch would take.
 */
export async function open(url: string, headers: Record<string, string>, options: HttpOptions = {}): Promise<OpenResponse> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  let timedOut: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, message: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = message;
      controller.abort();
    }, ms);
  };
  const fail = (error: unknown): never => {
    clearTimeout(timer);
    if (timedOut) throw new HttpFailure(timedOut);
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    throw new HttpFailure(describe(error));
  };

  let current = checkScheme(url, undefined);
  for (let hop = 0; ; hop++) {
    const host = new URL(current).host;
    arm(options.connectTimeoutMs ?? 30_000, `no response from ${host} within ${seconds(options.connectTimeoutMs ?? 30_000)}`);
    // identity: a compressed answer would make Content-Length and Range refer to other bytes than the file's.
    const response = await fetch(current, { headers: { 'accept-encoding': 'identity', ...headers }, redirect: 'manual', signal }).catch(fail);
    clearTimeout(timer);
    if (REDIRECTS.has(response.status)) {
      const location = response.headers.get('location');
      await response.body?.cancel().catch(() => undefined);
      if (!location) throw new HttpFailure(`${current} answered ${response.status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new HttpFailure(`more than ${MAX_REDIRECTS} redirects, starting at ${url}`);
      current = checkScheme(new URL(location, current).href, current);
      continue;
    }
    const idleMs = options.idleTimeoutMs ?? 60_000;
    return {
      response,
      url: current,
      async *chunks() {
        if (!response.body) return;
        const reader = response.body.getReader();
        try {
          for (;;) {
            arm(idleMs, `no data from ${host} for ${seconds(idleMs)}`);
            const { done, value } = await reader.read().catch(fail);
            if (done) return;
            yield value;
          }
        } finally {
          clearTimeout(timer);
          // Stops the transfer when the caller leaves early (a write failed); a no-op after the end.
          await reader.cancel().catch(() => undefined);
        }
      },
      async discard() {
        await response.body?.cancel().catch(() => undefined);
      },
    };
  }
}

function checkScheme(url: string, from: string | undefined): string {
  const { protocol } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:') throw new HttpFailure(`refusing to fetch ${url}: only http and https are used`);
  if (from && protocol === 'http:' && new URL(from).protocol === 'https:') {
    throw new HttpFailure(`refusing the redirect from ${from} to plain-http ${url}`);
  }
  return url;
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(1)} s`;
}

/** fetch hides the useful part (ECONNREFUSED, "other side closed") in `cause`. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.message) return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  return (error as Error)?.message ?? String(error);
}
