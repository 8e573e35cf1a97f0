import type { Server } from 'node:http';
import type { Server as TcpServer } from 'node:net';
import type { ArgusError } from '../../errors.js';

/**
 * A network video source as ffmpeg sees it: a loopback address of a relay in this process that
 * reaches the real source under Argus's URL rules. ffmpeg never connects to the client's URL
 * itself, so it cannot follow a redirect, or a DNS answer that changed, to a forbidden place.
 */
export interface RelayedSource {
  /** What ffmpeg opens: a loopback URL that only this relay answers. */
  readonly input: string;
  /** The ffmpeg protocols `input` needs (its `-protocol_whitelist`). */
  readonly protocols: string;
  /** Why the relay last refused or failed to reach the source; ffmpeg's own message is vaguer. */
  readonly error?: ArgusError;
  /** Stops the relay and drops its connections. */
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port; resolves with the port. */
export async function listenOnLoopback(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as { port: number }).port;
}
