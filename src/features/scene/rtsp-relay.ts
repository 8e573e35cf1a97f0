/**
 * The relay for rtsp(s) sources (RTSP interleaved over one TCP connection, as Argus asks ffmpeg
 * for with `-rtsp_transport tcp`). ffmpeg connects to a loopback port; the relay resolves and
 * checks the camera's host under the URL rules at each connection, connects to the checked
 * address, and passes bytes both ways. It reads the camera's answers as it passes them on: ffmpeg
 * follows an RTSP redirect (3xx + Location) by itself, to any address, so a redirect is never
 * passed on; the connection is dropped and the reason kept. For rtsps the relay speaks TLS to the
 * camera and plain RTSP to ffmpeg on loopback.
 */
import { connect as tcpConnect, createServer, isIP, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ArgusError, errors } from '../../errors.js';
import { shown, type UrlFetcher } from '../../service/fetch-url.js';
import { listenOnLoopback, type RelayedSource } from './source-relay.js';

/** Longest answer head the guard buffers before deciding it is no RTSP. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Passes an RTSP server's byte stream on unchanged, message by message (`$`-framed interleaved
 * data, or a head up to its blank line plus its Content-Length of body), and stops at a
 * redirect: `onRedirect` is called and the stream fails before the redirect's head is passed on.
 */
export class RtspRedirectGuard extends Transform {
  /** Bytes of the current message still to pass without looking. */
  private skip = 0;
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly onRedirect: (status: number, location: string | undefined) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      if (this.skip > 0) {
        const passed = Math.min(this.skip, data.length - pos);
        pos += passed;
        this.skip -= passed;
        continue;
      }
      if (data[pos] === 0x24) {
        // Interleaved binary data: '$', channel, 16-bit length.
        if (data.length - pos < 4) break;
        this.skip = 4 + data.readUInt16BE(pos + 2);
        continue;
      }
      const end = data.indexOf(CRLF2, pos);
      if (end < 0) {
        if (data.length - pos > MAX_HEAD_BYTES) return done(new Error(`the RTSP source sent a head over ${MAX_HEAD_BYTES} bytes`));
        break;
      }
      const head = data.subarray(pos, end + 4).toString('latin1');
      const status = /^RTSP\/\d\.\d\s+(\d{3})/.exec(head);
      if (status && status[1].startsWith('3')) {
        this.onRedirect(Number(status[1]), /\r\nlocation:[ \t]*([^\r\n]*)/i.exec(head)?.[1]);
        // Everything before this head has been passed on; the redirect itself never is.
        if (pos > 0) this.push(data.subarray(0, pos));
        return done(new Error('RTSP redirect refused'));
      }
      const length = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? 0);
      this.skip = end + 4 - pos + length;
    }
    // Whole messages (and bytes being skipped) go on now; an incomplete head or frame header waits.
    if (pos > 0) this.push(data.subarray(0, pos));
    this.held = Buffer.from(data.subarray(pos));
    done();
  }
}

/** Starts a relay for one rtsp(s) source; each connection ffmpeg makes is checked anew. */
export async function openRtspRelay(source: string, fetcher: UrlFetcher, connectTimeoutMs: number): Promise<RelayedSource> {
  const url = new URL(source);
  const secure = url.protocol === 'rtsps:';
  const port = Number(url.port) || (secure ? 322 : 554);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let error: ArgusError | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = createServer((client) => {
    track(client);
    client.on('error', () => undefined);
    client.pause();
    fetcher.checkHost(url).then((target) => {
      if (client.destroyed) return;
      const upstream = secure
        // Cameras present self-signed certificates; ffmpeg did not verify them either (tls_verify=0).
        ? tlsConnect({ host: target.address, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false })
        : tcpConnect({ host: target.address, port });
      track(upstream);
      const timer = setTimeout(() => upstream.destroy(errors.urlTimeout(shown(url), 'connecting', connectTimeoutMs)), connectTimeoutMs);
      upstream.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      upstream.on('error', (failure: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        error = failure instanceof ArgusError ? failure : errors.urlUnreachable(url.host, failure.code ?? failure.message);
        client.destroy();
      });
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      const guard = new RtspRedirectGuard((status, location) => {
        const to = location ? ` to ${location.replace(/\/\/[^/@]*@/, '//')}` : '';
        error = errors.urlNotAllowed(`the RTSP source ${shown(url)} answered with a redirect (RTSP ${status}${to}); Argus does not follow redirects of camera streams: use the address the camera redirects to.`);
      });
      guard.on('error', () => {
        upstream.destroy();
        client.destroy();
      });
      client.pipe(upstream);
      upstream.pipe(guard).pipe(client);
      client.resume();
    }, (refused: unknown) => {
      error = refused instanceof ArgusError ? refused : errors.urlUnreachable(url.host, (refused as Error).message);
      client.destroy();
    });
  });
  const relayPort = await listenOnLoopback(server);
  // The camera's credentials stay in the URL ffmpeg opens: RTSP digest authentication needs them.
  const credentials = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return {
    input: `rtsp://${credentials}127.0.0.1:${relayPort}${url.pathname}${url.search}`,
    protocols: 'rtsp,tcp',
    get error() {
      return error;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
