/**
 * Video and live-stream sources named by URL (`POST /v1/video/analyze {"url"}`, `POST
 * /v1/streams`) under the image-URL rules of `fetch-url.ts`, with one fetcher and one allowlist
 * check: a source is checked when the request arrives (a refusal is a 400 before any job or stream
 * exists, and before anything connects), and again each time ffmpeg connects, through a relay
 * (`http-relay.ts`, `rtsp-relay.ts`), so a stream that reconnects for days is held to the rules
 * at every reconnection. Cameras on a private network need an entry in `streamAllowlist`.
 */
import { errors } from '../../errors.js';
import type { UrlFetcher } from '../../service/fetch-url.js';
import { openHttpRelay } from './http-relay.js';
import { openRtspRelay } from './rtsp-relay.js';
import type { RelayedSource } from './source-relay.js';

const SCHEMES = new Set(['http:', 'https:', 'rtsp:', 'rtsps:']);

/** Checks and opens video sources; one instance per server. */
export class VideoSources {
  constructor(private readonly fetcher: UrlFetcher, private readonly connectTimeoutMs: number) {}

  private parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw errors.urlNotAllowed(`'${raw.slice(0, 200)}' is not a valid URL.`);
    }
    if (!SCHEMES.has(url.protocol)) throw errors.urlNotAllowed(`a video source must be an rtsp://, rtsps://, http:// or https:// URL, not ${url.protocol.replace(/:$/, '')}.`);
    if (url.hostname === '') throw errors.urlNotAllowed('the URL names no host.');
    // RTSP cameras take user:password in the URL (ffmpeg answers their digest challenge with it);
    // http(s) sources are fetched by Argus, which sends no credentials, as for image URLs.
    if (!url.protocol.startsWith('rtsp') && (url.username || url.password)) throw errors.urlNotAllowed('http(s) URLs with credentials (user:password@) are not fetched.');
    return url;
  }

  /** Refuses a source the rules forbid (400 `url_not_allowed`, saying how to allow a camera network); connects to nothing. */
  async check(raw: string): Promise<void> {
    await this.fetcher.checkHost(this.parse(raw));
  }

  /** A relay ffmpeg reads the source through; every connection it makes is checked again. */
  async open(raw: string): Promise<RelayedSource> {
    const url = this.parse(raw);
    return url.protocol.startsWith('rtsp') ? openRtspRelay(raw, this.fetcher, this.connectTimeoutMs) : openHttpRelay(raw, this.fetcher);
  }
}
