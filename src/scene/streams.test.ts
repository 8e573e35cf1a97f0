import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { compileCamera } from './config.js';
import { locateFfmpeg } from './ffmpeg-locate.js';
import { StreamSupervisor, type StreamView } from './streams.js';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('StreamSupervisor', () => {
  it('reconnects a failing source with exponential backoff, capped, and stops it on demand', async () => {
    const ffmpeg = await locateFfmpeg();
    if (!ffmpeg.available) throw new Error(`no ffmpeg: ${ffmpeg.tried.join('; ')}`);
    const supervisor = new StreamSupervisor(
      {
        tools: () => ffmpeg.tools,
        log: pino({ level: 'silent' }),
        // No frame ever arrives from a closed port, so detection is never reached; it fails loudly if it is.
        detect: () => Promise.reject(new Error('detection must not run without frames')),
      },
      1,
      { backoffMs: 100, maxBackoffMs: 400 },
    );
    const camera = compileCamera('c', {});
    const stream = supervisor.start(camera, `http://127.0.0.1:${await closedPort()}/cam`, 2);
    const waits: number[] = [];
    stream.subscribe((m) => {
      const view = m.data as StreamView;
      if (m.event === 'state' && view.state === 'reconnecting') waits.push(view.retry_in_s!);
    });
    // A second stream is over the limit of 1.
    expect(() => supervisor.start(camera, 'http://127.0.0.1:1/x', 2)).toThrow(/Already running 1 streams/);
    const deadline = Date.now() + 30_000;
    while (waits.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Each failure is announced with the wait before the next attempt: doubling from 0.1 s, capped at 0.4 s.
    expect(waits.slice(0, 5)).toEqual([0.1, 0.2, 0.4, 0.4, 0.4]);
    expect(stream.view()).toMatchObject({ state: 'reconnecting', frames_in: 0, last_error: expect.stringMatching(/Connection refused/i) });
    expect(stream.view().reconnects).toBeGreaterThanOrEqual(5);
    const stopped = await supervisor.stop(stream.id);
    expect(stopped.state).toBe('stopped');
    expect(supervisor.list()).toEqual([]);
  });
});
