import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, tempDir } from '../../../test/helpers.js';
import { ArgusError } from '../../errors.js';
import { checkFfmpeg, decodeArgs, ffmpegTools, FrameDecoder, JpegSplitter, probeVideo, redactUrl, type FfmpegTools } from './ffmpeg.js';
import { locateFfmpeg, packagedFfmpeg } from './ffmpeg-locate.js';

const dir = tempDir('argus-ffmpeg-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The ffmpeg Argus chooses here: the system's when one is on PATH, else the packaged one. */
let tools: FfmpegTools;
beforeAll(async () => {
  const choice = await locateFfmpeg();
  if (!choice.available) throw new Error(`no ffmpeg: ${choice.tried.join('; ')}`);
  tools = choice.tools;
});

describe('choosing ffmpeg', () => {
  it('runs the packaged build (shipped inside the npm package, nothing else installed) with ffprobe beside it', async () => {
    const choice = await packagedFfmpeg();
    expect(choice).toMatchObject({ available: true, source: 'packaged', version: expect.any(String), package: expect.stringMatching(/@ffmpeg-installer\/ffmpeg/) });
    // The packaged build is ffmpeg 4.1 (libavformat 58): RTSP's socket timeout is -stimeout there.
    if (!choice.available) return;
    expect(choice.libavformat).toBe(58);
    expect(choice.tools.legacyRtspTimeout).toBe(true);
    expect(choice.tools.ffprobe).toMatch(/@ffprobe-installer\/linux-x64\/ffprobe$/);
  });

  it('prefers the system ffmpeg on PATH, else the packaged one', async () => {
    const choice = await locateFfmpeg();
    const system = await checkFfmpeg(ffmpegTools('ffmpeg'));
    const packaged = await packagedFfmpeg();
    expect(choice).toEqual(system.available ? expect.objectContaining({ available: true, source: 'system', tools: expect.objectContaining({ ffmpeg: 'ffmpeg' }) }) : packaged);
  });

  it('uses a configured path as it is, and says what to do when it does not run', async () => {
    const choice = await locateFfmpeg('/nonexistent/ffmpeg');
    expect(choice).toMatchObject({ available: false, tried: ["configured '/nonexistent/ffmpeg': not found"], fix: expect.stringMatching(/ARGUS_FFMPEG_PATH is set/) });
  });

  it('passes the RTSP socket timeout under the name the ffmpeg in use knows', () => {
    const options = { source: { kind: 'url' as const, url: 'rtsp://cam/stream', input: 'rtsp://127.0.0.1:8554/stream', protocols: 'tcp,rtsp,rtp,udp' }, fps: 1 };
    expect(decodeArgs(options, { legacyRtspTimeout: true })).toEqual(expect.arrayContaining(['-stimeout', '10000000']));
    expect(decodeArgs(options, { legacyRtspTimeout: true })).not.toContain('-timeout');
    expect(decodeArgs(options)).toEqual(expect.arrayContaining(['-timeout', '10000000']));
  });
});

describe('ffmpeg module', () => {
  it('finds ffmpeg and ffprobe, and says why when it cannot', async () => {
    expect(await checkFfmpeg(tools)).toMatchObject({ available: true, version: expect.any(String) });
    expect(await checkFfmpeg(ffmpegTools('/nonexistent/ffmpeg'))).toEqual({ available: false, reason: 'not found' });
    expect(ffmpegTools('/opt/ff/bin/ffmpeg')).toEqual({ ffmpeg: '/opt/ff/bin/ffmpeg', ffprobe: '/opt/ff/bin/ffprobe' });
  });

  it('splits concatenated JPEGs exactly, however the bytes are chunked', async () => {
    const tiny = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#80a0c0' } }).jpeg().toBuffer();
    const a = image('bus.jpg');
    const b = image('zidane.jpg');
    const stream = Buffer.concat([a, b, a]);
    for (const size of [1, 1000, 4096, 65536, stream.length]) {
      if (size === 1) {
        // Byte by byte over small real JPEGs: every boundary inside markers and lengths.
        const splitter = new JpegSplitter();
        const bytes = Buffer.concat([tiny, tiny]);
        const got = [...bytes].flatMap((byte) => splitter.push(Buffer.from([byte])));
        expect(got.map((f) => f.length)).toEqual([tiny.length, tiny.length]);
        continue;
      }
      const splitter = new JpegSplitter();
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...splitter.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => f.length), `chunks of ${size}`).toEqual([a.length, b.length, a.length]);
      expect(frames[1].equals(b)).toBe(true);
    }
  });

  it('probes a video, refuses non-videos (415) and stills', async () => {
    const video = join(dir, 'clip.mp4');
    execFileSync(tools.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '2', '-pix_fmt', 'yuv420p', video]);
    expect(await probeVideo(tools, video)).toMatchObject({ format: 'mov', width: 320, height: 240, fps: 10, durationS: 2, codec: 'h264' });
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video\n'.repeat(100));
    await expect(probeVideo(tools, text)).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const still = join(dir, 'bus.jpg');
    writeFileSync(still, image('bus.jpg'));
    const error = await probeVideo(tools, still).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgusError);
    expect((error as ArgusError).message).toMatch(/still image, not a video/);
  });

  it('decodes sampled frames as JPEGs and stops cleanly', async () => {
    const video = join(dir, 'clip.mp4');
    const decoder = new FrameDecoder(tools, { source: { kind: 'file', path: video, format: 'mov' }, fps: 5 });
    const frames: Buffer[] = [];
    for await (const frame of decoder.frames()) frames.push(frame);
    expect(frames).toHaveLength(10);
    expect(frames[0].subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await decoder.exited).code).toBe(0);
    // A decoder stopped early leaves no process.
    const long = new FrameDecoder(tools, { source: { kind: 'url', url: 'http://127.0.0.1:9/never', input: 'http://127.0.0.1:9/never', protocols: 'http,tcp' }, fps: 1, live: true });
    const exit = await long.stop();
    expect(exit.code === null || exit.code !== 0).toBe(true);
    expect(() => process.kill(long.pid!, 0)).toThrow();
    expect(readFileSync(video).length).toBeGreaterThan(0);
  });

  it('hides passwords in URLs', () => {
    expect(redactUrl('rtsp://admin:secret@10.0.0.5:554/stream')).toBe('rtsp://admin:***@10.0.0.5:554/stream');
    expect(redactUrl('http://cam.local/mjpeg')).toBe('http://cam.local/mjpeg');
  });
});
