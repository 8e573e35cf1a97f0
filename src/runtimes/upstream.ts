/**
 * The `upstream` runtime: a model served by another OpenAI-compatible server (Ollama, llama.cpp
 * server, vLLM, LocalAI, OpenAI itself). Its "session" is a small typed HTTP client; no weights
 * load and no worker process is needed, so upstream models run in the API process (see
 * `workers/remote.ts`). Every failure of the upstream becomes one clear Argus error.
 *
 * @example
 * const client = new UpstreamClient({ alias: 'llava', baseUrl: 'http://gpu-box:11434/v1', apiKey });
 * const answer = await client.postJson<ChatCompletion>('/chat/completions', { model: 'llava', messages });
 * for await (const chunk of client.streamJson<ChatCompletionChunk>('/chat/completions', { model: 'llava', messages, stream: true })) …
 */
import { ArgusError, errors } from '../errors.js';
import type { RuntimeSession } from './types.js';

/** How to reach one upstream. */
export interface UpstreamClientOptions {
  /** The Argus alias served through this upstream (named in every error). */
  alias: string;
  /** API root, e.g. `http://gpu-box:11434/v1`; paths such as `/chat/completions` are appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Longest wait for an answer (for a stream: for its first bytes, then between two chunks). @defaultValue 120000 */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Aborts the request (e.g. the client that asked went away). */
  signal?: AbortSignal;
}

/** A message as OpenAI's chat API takes it. */
export interface UpstreamMessage {
  role: string;
  content: string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;
}

export interface ChatCompletionRequest {
  model: string;
  messages: UpstreamMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id?: string;
  model?: string;
  choices: Array<{ index: number; message: { role: string; content: string | null }; finish_reason: string | null }>;
  usage?: Usage;
}

export interface ChatCompletionChunk {
  id?: string;
  model?: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string | null }; finish_reason: string | null }>;
  usage?: Usage | null;
}

/** One server-sent event: its `event` field (when given) and its `data` lines joined by newlines. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 120_000;

/**
 * Splits a byte stream into server-sent events (the WHATWG event-stream format): lines end with
 * LF, CRLF or CR; `data:` lines accumulate; a blank line dispatches; `:` lines are comments.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  const takeLine = (line: string): ServerSentEvent | undefined => {
    if (line === '') {
      const dispatched = data.length ? { event, data: data.join('\n') } : undefined;
      data = [];
      event = undefined;
      return dispatched;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    // A trailing CR may be the first half of a CRLF: keep it until the next chunk says.
    let match: RegExpExecArray | null;
    const lineEnd = /\r\n|\n|\r(?!$)/g;
    let start = 0;
    while ((match = lineEnd.exec(buffer)) !== null) {
      const dispatched = takeLine(buffer.slice(start, match.index));
      start = match.index + match[0].length;
      if (dispatched) yield dispatched;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  for (const line of buffer.split(/\r\n|\n|\r/)) {
    const dispatched = takeLine(line);
    if (dispatched) yield dispatched;
  }
  const last = takeLine('');
  if (last) yield last;
}

/** What an upstream said went wrong: OpenAI's `{error: {message}}`, Ollama's `{error: "…"}`, or the text itself. */
function describeBody(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = body.error as { message?: unknown } | string | undefined;
    const message = typeof error === 'string' ? error : typeof error?.message === 'string' ? error.message : body.message ?? body.detail;
    if (typeof message === 'string' && message) return message.slice(0, 500);
  } catch {
    // Not JSON: the text itself says it.
  }
  return text.trim().replace(/\s+/g, ' ').slice(0, 300) || 'no details given';
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); 1 when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (!header) return 1;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(1, Math.ceil((date - now) / 1000)) : 1;
}

/** Why a fetch failed before any answer: the code Node gives (ECONNREFUSED, ENOTFOUND, …) and its message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const message = cause?.message ?? (error as Error).message;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code})`;
  return code ? `${code}: ${message}` : message;
}

/** A request body sent as it is, with its own content type. */
class RawBody {
  constructor(readonly bytes: Uint8Array, readonly contentType: string) {}
}

/** A small typed client for one OpenAI-compatible upstream. Stateless; safe to share. */
export class UpstreamClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** The Argus alias this upstream serves (named in every error). */
  readonly alias: string;

  constructor(private readonly options: UpstreamClientOptions) {
    this.alias = options.alias;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  }

  private headers(stream: boolean, contentType: string | undefined): Record<string, string> {
    // A multipart body sets its own content type (with the boundary): contentType is undefined then.
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    headers.accept = stream ? 'text/event-stream' : 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** Maps an upstream's non-2xx answer to the Argus error a client can act on. */
  private async statusError(response: Response): Promise<ArgusError> {
    return this.errorFor(response.status, await response.text().catch(() => ''), response.headers.get('retry-after'));
  }

  /** The Argus error for an upstream's non-2xx status, its body text and its Retry-After header. */
  errorFor(status: number, body: string, retryAfter: string | null): ArgusError {
    const { alias } = this.options;
    const detail = describeBody(body);
    if (status === 401 || status === 403) return errors.upstreamAuthFailed(alias, this.baseUrl, status, detail);
    if (status === 429) return errors.upstreamRateLimited(alias, this.baseUrl, retryAfterSeconds(retryAfter), detail);
    if (status === 404) return errors.upstreamFailed(alias, this.baseUrl, `HTTP 404: ${detail} (check baseUrl and the upstream model name in the manifest).`);
    if (status === 400 || status === 413 || status === 422) return errors.upstreamRejected(alias, this.baseUrl, status, detail);
    return errors.upstreamFailed(alias, this.baseUrl, `HTTP ${status}: ${detail}`);
  }

  /**
   * Sends one request with a deadline that `touch()` pushes back (streams touch it per chunk).
   * Resolves with the response once its status is 2xx; maps every failure to an Argus error.
   */
  private async send(method: 'GET' | 'POST', path: string, body: unknown, stream: boolean, options: RequestOptions & { anyStatus?: boolean } = {}) {
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
    };
    const onCallerAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
    };
    const fail = (error: unknown): Error => {
      done();
      if (error instanceof ArgusError) return error;
      if (options.signal?.aborted) return options.signal.reason instanceof Error ? options.signal.reason : new Error('request aborted');
      if (timedOut) return errors.upstreamTimeout(this.options.alias, this.baseUrl, this.timeoutMs);
      return errors.upstreamUnreachable(this.options.alias, this.baseUrl, networkReason(error));
    };
    touch();
    let response: Response;
    try {
      const form = body instanceof FormData;
      const raw = body instanceof RawBody;
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers(stream, form ? undefined : raw ? body.contentType : 'application/json'),
        body: body === undefined ? undefined : form ? body : raw ? body.bytes : JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok && !options.anyStatus) throw await this.statusError(response);
    } catch (error) {
      throw fail(error);
    }
    return { response, touch, done, fail };
  }

  /** Sends JSON, a multipart form, or nothing (GET), and returns the upstream's JSON answer. */
  async requestJson<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const { response, done, fail } = await this.send(method, path, body, false, options);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw fail(error);
    }
    done();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw errors.upstreamFailed(this.options.alias, this.baseUrl, `its answer to ${path} is not JSON: ${describeBody(text)}`);
    }
  }

  /**
   * POSTs raw bytes (an image, as the Hugging Face Inference API takes it) and returns the answer
   * whatever its status, so the caller can read an upstream's own retry hints; network failures
   * and timeouts are Argus errors as for every request.
   */
  async postBytes(path: string, bytes: Uint8Array, contentType: string, options: RequestOptions = {}): Promise<{ status: number; body: string; retryAfter: string | null }> {
    const { response, done, fail } = await this.send('POST', path, new RawBody(bytes, contentType), false, { ...options, anyStatus: true });
    try {
      const body = await response.text();
      done();
      return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      throw fail(error);
    }
  }

  /** POSTs JSON and returns the JSON answer. */
  postJson<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.requestJson<T>('POST', path, body, options);
  }

  /** POSTs a multipart form (e.g. OpenAI's `/images/edits`, which takes only multipart) and returns the JSON answer. */
  postForm<T>(path: string, form: FormData, options?: RequestOptions): Promise<T> {
    return this.requestJson<T>('POST', path, form, options);
  }

  /**
   * POSTs a streaming request and yields the JSON `data` of each server-sent event until
   * `data: [DONE]` (or the end of the stream). An `{"error": …}` event becomes an Argus error.
   */
  async *streamJson<T>(path: string, body: unknown, options: RequestOptions = {}): AsyncGenerator<T> {
    const { response, touch, done, fail } = await this.send('POST', path, body, true, options);
    try {
      if (!response.body) throw errors.upstreamFailed(this.options.alias, this.baseUrl, 'its streamed answer has no body.');
      for await (const event of parseServerSentEvents(response.body)) {
        touch();
        if (event.data === '[DONE]') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(event.data);
        } catch {
          throw errors.upstreamFailed(this.options.alias, this.baseUrl, `it streamed an event that is not JSON: ${event.data.slice(0, 200)}`);
        }
        const error = (parsed as { error?: unknown }).error;
        if (error !== undefined && error !== null) throw errors.upstreamFailed(this.options.alias, this.baseUrl, `its stream ended with an error: ${describeBody(JSON.stringify(parsed))}`);
        yield parsed as T;
      }
    } catch (error) {
      throw fail(error);
    } finally {
      done();
    }
  }

  /** The upstream's model list (`GET /models`): checks that it is reachable and accepts the key. */
  listModels(options?: RequestOptions): Promise<{ data?: Array<{ id: string }> }> {
    return this.requestJson('GET', '/models', undefined, options);
  }
}

/** A loaded upstream model: the client plus the name the upstream knows the model by. */
/** The API an upstream speaks: OpenAI-compatible, or the Hugging Face Inference API (runtimes/hf-inference.ts). */
export type UpstreamKind = 'openai' | 'hf-inference';

export interface UpstreamSession extends RuntimeSession {
  readonly client: UpstreamClient;
  readonly kind: UpstreamKind;
  /** The upstream's name for the model (sent as `model`). */
  readonly upstreamModel: string;
}

export function isUpstreamSession(session: RuntimeSession): session is UpstreamSession {
  return (session as UpstreamSession).client instanceof UpstreamClient;
}

/** Opens a session on an upstream: nothing is contacted until the first request. */
export function openUpstreamSession(options: UpstreamClientOptions & { model: string; kind?: UpstreamKind }): UpstreamSession {
  return {
    provider: 'remote',
    inputs: [],
    outputs: [],
    metadata: { base_url: options.baseUrl, model: options.model, kind: options.kind ?? 'openai' },
    client: new UpstreamClient(options),
    kind: options.kind ?? 'openai',
    upstreamModel: options.model,
    run: () => Promise.reject(new Error('upstream models are run by their task runner, not fed tensors')),
    release: async () => undefined,
  };
}
