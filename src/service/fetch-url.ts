/**
 * The one way Argus fetches an image named by URL (`{"url": …}` on every image route, chat
 * `image_url` parts, the embedding service's API). Fetching a client's URL is an attack surface
 * (server-side request forgery), so every hop is checked the same way:
 *
 * - http and https only; no credentials in the URL;
 * - the host is resolved here, and every address it resolves to must be public unicast: loopback,
 *   private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast,
 *   unspecified, reserved and unique-local addresses are refused, in IPv4 and IPv6, including IPv4
 *   addresses carried inside IPv6 (IPv4-mapped, SIIT, NAT64, 6to4), unless allowlisted;
 * - the connection goes to the address that was checked (the HTTP agent gets a `lookup` that
 *   answers with it), so a DNS answer that changes between check and connect (rebinding) cannot
 *   reach anything else;
 * - redirects (at most 3) are checked again, hop by hop;
 * - a connect timeout and a total timeout; the body is read only up to the upload limit; the
 *   answer must declare an image content type (the service still sniffs the bytes).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ArgusError, errors } from '../errors.js';

export interface UrlFetcherOptions {
  /** Host names (exact) and addresses or CIDRs that may be reached although not public. */
  allowlist: readonly string[];
  /** Largest body read, in bytes. */
  maxBytes: number;
  /** Longest wait for the TCP connection, per hop. */
  connectTimeoutMs: number;
  /** Longest the whole fetch may take, redirects and body included. */
  timeoutMs: number;
  /** @defaultValue 3 */
  maxRedirects?: number;
  /** Resolves a host name to its addresses. @defaultValue node:dns lookup (all addresses) */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  /** The setting a refusal names as the way to allow an address. @defaultValue ARGUS_URL_ALLOWLIST */
  allowlistSetting?: string;
}

/** A URL opened under the rules: the final answer's head, its body not read yet. */
export interface OpenedUrl {
  /** The URL that answered, after redirects. */
  url: URL;
  response: IncomingMessage;
}

export interface OpenOptions {
  signal?: AbortSignal;
  /** Extra request headers (a video source's `Range`). */
  headers?: Record<string, string>;
  /** The `Accept` header. @defaultValue image/* */
  accept?: string;
}

export interface FetchedImage {
  bytes: Buffer;
  /** The content type the server declared. */
  contentType: string;
  /** The URL the bytes came from, after redirects. */
  url: string;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv6 forms that carry an IPv4 address, and where (the last 32 bits, or bits 16–48 for 6to4). */
const EMBEDS_IPV4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4']);

function embeddedIpv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 {
  const p = address.parts;
  const [hi, lo] = range === '6to4' ? [p[1], p[2]] : [p[6], p[7]];
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * Why an address may not be fetched, or undefined when it is public unicast. IPv6 must be global
 * unicast (2000::/3) outside the special ranges; an IPv4 address inside IPv6 is judged as IPv4.
 */
export function forbiddenReason(address: Address): string | undefined {
  if (address.kind() === 'ipv4') {
    const range = address.range();
    return range === 'unicast' ? undefined : `${address.toString()} is a ${range} address`;
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (EMBEDS_IPV4.has(range)) {
    const inner = embeddedIpv4(v6, range);
    const reason = forbiddenReason(inner);
    return reason && `${v6.toString()} carries ${inner.toString()} (${range}), and ${reason}`;
  }
  if (range !== 'unicast') return `${v6.toString()} is a ${range} address`;
  if ((v6.parts[0] & 0xe000) !== 0x2000) return `${v6.toString()} is not a global unicast address`;
  return undefined;
}

/** The allowlist, parsed once: exact host names, and address ranges. */
export class Allowlist {
  private readonly hosts = new Set<string>();
  private readonly ranges: Array<[Address, number]> = [];

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
      if (!entry) continue;
      if (entry.includes('/')) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) {
        const address = ipaddr.parse(entry);
        this.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else this.hosts.add(entry.replace(/\.$/, ''));
    }
  }

  hasHost(host: string): boolean {
    return this.hosts.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /** Whether an address (or, for IPv4-mapped IPv6, its IPv4 form) lies in an allowlisted range. */
  hasAddress(address: Address): boolean {
    const forms: Address[] = [address];
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) forms.push((address as ipaddr.IPv6).toIPv4Address());
    return forms.some((form) => this.ranges.some(([base, bits]) => base.kind() === form.kind() && form.match(base, bits)));
  }
}

/** A URL as it may appear in messages: no credentials, no query (it may hold signed tokens). */
export function shown(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function parseUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw errors.urlNotAllowed(`'${raw.slice(0, 200)}' is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.urlNotAllowed(`only http and https URLs are fetched, not ${url.protocol.replace(/:$/, '')}.`);
  if (url.username || url.password) throw errors.urlNotAllowed('URLs with credentials (user:password@) are not fetched.');
  return url;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type FetcherConfig = { urlAllowlist: string[]; streamAllowlist: string[]; maxUploadBytes: number; urlConnectTimeoutMs: number; urlTimeoutMs: number };

/** The fetcher a server uses for image URLs: the allowlist, timeouts and the upload limit from config. */
export function urlFetcherFor(config: Omit<FetcherConfig, 'streamAllowlist'>): UrlFetcher {
  return new UrlFetcher({
    allowlist: config.urlAllowlist,
    maxBytes: config.maxUploadBytes,
    connectTimeoutMs: config.urlConnectTimeoutMs,
    timeoutMs: config.urlTimeoutMs,
  });
}

/**
 * The fetcher for video and live-stream sources: the same rules, with the camera networks of
 * `streamAllowlist` allowed besides `urlAllowlist` (they open no image fetching), and refusals
 * naming ARGUS_STREAM_ALLOWLIST. Its `timeoutMs` bounds the wait for an answer's head only: a
 * video body is read as long as the decoder wants it.
 */
export function sourceFetcherFor(config: FetcherConfig): UrlFetcher {
  return new UrlFetcher({
    allowlist: [...config.urlAllowlist, ...config.streamAllowlist],
    maxBytes: config.maxUploadBytes,
    connectTimeoutMs: config.urlConnectTimeoutMs,
    timeoutMs: config.urlTimeoutMs,
    allowlistSetting: 'ARGUS_STREAM_ALLOWLIST',
  });
}

/** Fetches images by URL under the rules above; one instance serves every request. */
export class UrlFetcher {
  private readonly allowlist: Allowlist;
  private readonly maxRedirects: number;
  private readonly resolve: NonNullable<UrlFetcherOptions['resolve']>;

  constructor(private readonly options: UrlFetcherOptions) {
    this.allowlist = new Allowlist(options.allowlist);
    this.maxRedirects = options.maxRedirects ?? 3;
    this.resolve = options.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  }

  /** The address to connect to for this URL's host, after every address it resolves to passed the rules. */
  async checkHost(url: URL): Promise<{ address: string; family: 4 | 6 }> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const hostAllowed = this.allowlist.hasHost(host);
    let found: Array<{ address: string; family: number }>;
    if (isIP(host)) found = [{ address: host, family: isIP(host) }];
    else {
      try {
        found = await this.resolve(host);
      } catch (error) {
        throw errors.urlUnreachable(host, `its name does not resolve: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      if (!found.length) throw errors.urlUnreachable(host, 'its name resolves to no address');
    }
    // Every address must pass: a name with one public and one private address could otherwise be
    // steered to the private one by the connection's own address choice.
    for (const { address } of found) {
      const parsed = ipaddr.parse(address);
      const reason = hostAllowed || this.allowlist.hasAddress(parsed) ? undefined : forbiddenReason(parsed);
      if (reason) throw errors.urlNotAllowed(`${host === address ? '' : `${host} resolves to ${address}; `}${reason}. Private, loopback and link-local addresses are refused unless allowlisted (${this.options.allowlistSetting ?? 'ARGUS_URL_ALLOWLIST'}).`);
    }
    const chosen = found[0];
    return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
  }

  /** Fetches an image: checked hop by hop, bounded in time and size. */
  async fetchImage(raw: string, signal?: AbortSignal): Promise<FetchedImage> {
    return this.bounded(raw, signal, async (url, bounded) => {
      const opened = await this.follow(url, bounded, { accept: 'image/*' });
      return this.readImage(opened.url, opened.response);
    });
  }

  /**
   * Opens a URL under the same rules (checked hop by hop, redirects re-checked) and returns the
   * final answer's head; the caller reads the body. Time is bounded until the head arrives, not
   * after: a video source's body lasts as long as the video.
   */
  async open(raw: string, options: OpenOptions = {}): Promise<OpenedUrl> {
    const opened = await this.bounded(raw, options.signal, (url, bounded) => this.follow(url, bounded, options));
    // The head is in: from now on only the caller's signal ends the body.
    if (options.signal) {
      const onAbort = () => opened.response.destroy();
      options.signal.addEventListener('abort', onAbort, { once: true });
      opened.response.once('close', () => options.signal!.removeEventListener('abort', onAbort));
    }
    return opened;
  }

  /** Runs `work` under the total timeout and the caller's signal, mapping failures to Argus errors. */
  private async bounded<T>(raw: string, signal: AbortSignal | undefined, work: (url: URL, signal: AbortSignal) => Promise<T>): Promise<T> {
    const url = parseUrl(raw);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await work(url, controller.signal);
    } catch (error) {
      if (error instanceof ArgusError) throw error;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : errors.cancelled();
      if (timedOut) throw errors.urlTimeout(shown(url), 'the whole fetch', this.options.timeoutMs);
      const code = (error as NodeJS.ErrnoException).code;
      throw errors.urlUnreachable(url.host, code ? `${code}: ${(error as Error).message}` : (error as Error).message);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** Requests `url`, following redirects (each hop checked again), up to the final answer. */
  private async follow(first: URL, signal: AbortSignal, options: OpenOptions): Promise<OpenedUrl> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const target = await this.checkHost(url);
      const response = await this.request(url, target, signal, options);
      if (!REDIRECTS.has(response.statusCode ?? 0)) return { url, response };
      response.resume();
      const location = response.headers.location;
      if (!location) throw errors.urlFetchFailed(shown(url), `it answered HTTP ${response.statusCode} without a Location.`);
      if (hop >= this.maxRedirects) throw errors.urlFetchFailed(shown(first), `more than ${this.maxRedirects} redirects.`);
      url = parseUrl(location, url);
    }
  }

  /** One GET to the checked address; resolves with the response head. */
  private request(url: URL, target: { address: string; family: 4 | 6 }, signal: AbortSignal, options: OpenOptions): Promise<IncomingMessage> {
    // Answers the agent's name lookup with the address that was checked: no second DNS query.
    const lookup: LookupFunction = (_host, options, callback) => {
      if (options.all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
      else callback(null, target.address, target.family);
    };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request({
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { ...options.headers, host: url.host, accept: options.accept ?? 'image/*', 'accept-encoding': 'identity', 'user-agent': 'Argus URL fetcher' },
        lookup,
        servername: isIP(host) ? undefined : host,
        agent: false,
        signal,
      });
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => {
          request.destroy(errors.urlTimeout(shown(url), 'connecting', this.options.connectTimeoutMs));
        }, this.options.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      request.on('response', resolve);
      request.on('error', reject);
      request.end();
    });
  }

  /** Reads a final answer's body, refusing anything that is not an image or is over the limit. */
  private async readImage(url: URL, response: IncomingMessage): Promise<FetchedImage> {
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      response.resume();
      throw errors.urlFetchFailed(shown(url), `the server answered HTTP ${status}.`);
    }
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!contentType.startsWith('image/')) {
      response.resume();
      throw errors.urlNotImage(shown(url), contentType || '(none)');
    }
    const { maxBytes } = this.options;
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.destroy();
      throw errors.urlTooLarge(shown(url), maxBytes);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      total += chunk.length;
      // Stop reading at the limit: a server that lies about (or omits) its length gets no further.
      if (total > maxBytes) {
        response.destroy();
        throw errors.urlTooLarge(shown(url), maxBytes);
      }
      chunks.push(chunk);
    }
    return { bytes: Buffer.concat(chunks, total), contentType, url: url.toString() };
  }
}
