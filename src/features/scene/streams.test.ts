import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { UrlFetcher } from '../../service/fetch-url.js';
import { VideoSources } from './video-sources.js';
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

// The streams' sources under the URL rules, with loopback allowlisted as a camera network.
const loopbackSources = new VideoSources(new UrlFetcher({ allowlist: ['127.0.0.1'], maxBytes: 1, connectTimeoutMs: 1000, timeoutMs: 3000 }), 1000);

describe('StreamSupervisor', () => {
  it('reconnects a failing source with exponential backoff, capped, and stops it on demand', async () => {
    const ffmpeg = await locateFfmpeg();
    if (!ffmpeg.available) throw new Error(`no ffmpeg: ${ffmpeg.tried.join('; ')}`);
    const supervisor = new StreamSupervisor(
      {
        tools: () => ffmpeg.tools,
        log: pino({ level: 'silent' }),
        openSource: (url) => loopbackSources.open(url),
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
    expect(stream.view()).toMatchObject({ state: 'reconnecting', frames_in: 0, last_error: expect.stringMatching(/ECONNREFUSED/) });
    expect(stream.view().reconnects).toBeGreaterThanOrEqual(5);
    const stopped = await supervisor.stop(stream.id);
    expect(stopped.state).toBe('stopped');
    expect(supervisor.list()).toEqual([]);
  });

  it('opens (and so checks) the source anew at every reconnection; a refusal starts no ffmpeg', async () => {
    let opened = 0;
    const supervisor = new StreamSupervisor(
      {
        tools: () => ({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' }),
        log: pino({ level: 'silent' }),
        openSource: async () => {
          opened++;
          throw errors.urlNotAllowed('cam.example resolves to 10.0.0.5; 10.0.0.5 is a private address.');
        },
        detect: () => Promise.reject(new Error('detection must not run without frames')),
      },
      1,
      { backoffMs: 50, maxBackoffMs: 50 },
    );
    const stream = supervisor.start(compileCamera('c', {}), 'http://cam.example/x', 2);
    const deadline = Date.now() + 10_000;
    while (stream.view().reconnects < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const view = stream.view();
    expect(view).toMatchObject({ state: 'reconnecting', last_error: expect.stringMatching(/private address/) });
    expect(view.ffmpeg_pid).toBeUndefined();
    expect(opened).toBeGreaterThanOrEqual(3);
    expect(opened).toBeGreaterThanOrEqual(view.reconnects);
    await supervisor.stop(stream.id);
  });
});
