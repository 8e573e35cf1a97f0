/**
 * Everything Argus does with ffmpeg lives here: checking that it runs, probing uploads (ffprobe),
 * and decoding a file or a network source into JPEG frames at a sampling rate. ffmpeg is spawned
 * as a child process (never a shell), its stdout carries the frames and its stderr the reason when
 * it fails.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { errors } from '../../errors.js';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /**
   * ffmpeg before 5.0 (libavformat < 59): RTSP's socket timeout is `-stimeout`, and `-timeout`
   * means "listen for a connection", which would turn a camera URL into a server. The packaged
   * ffmpeg is 4.1, so this is set from the version `checkFfmpeg` finds.
   */
  legacyRtspTimeout?: boolean;
}

/** ffprobe sits beside ffmpeg (the Debian package ships both). */
export function ffmpegTools(ffmpegPath: string): FfmpegTools {
  const name = basename(ffmpegPath);
  const probe = name.includes('ffmpeg') ? name.replace(/ffmpeg(?!.*ffmpeg)/, 'ffprobe') : 'ffprobe';
  return { ffmpeg: ffmpegPath, ffprobe: ffmpegPath.includes('/') ? join(dirname(ffmpegPath), probe) : probe };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export type FfmpegStatus = { available: true; version: string; libavformat?: number } | { available: false; reason: string };

/** Runs `ffmpeg -version` and `ffprobe -version`: both must work for video. `libavformat` is its major version. */
export async function checkFfmpeg(tools: FfmpegTools): Promise<FfmpegStatus> {
  try {
    const ffmpeg = await run(tools.ffmpeg, ['-hide_banner', '-version'], 10_000);
    if (ffmpeg.code !== 0) return { available: false, reason: `${tools.ffmpeg} -version exited with ${ffmpeg.code}` };
    const probe = await run(tools.ffprobe, ['-hide_banner', '-version'], 10_000);
    if (probe.code !== 0) return { available: false, reason: `${tools.ffprobe} -version exited with ${probe.code}` };
    const libavformat = Number(/libavformat\s+(\d+)\./.exec(ffmpeg.stdout)?.[1]);
    return { available: true, version: /version (\S+)/.exec(ffmpeg.stdout)?.[1] ?? 'unknown', ...(libavformat > 0 && { libavformat }) };
  } catch (error) {
    return { available: false, reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message };
  }
}

export interface VideoInfo {
  /** The demuxer ffprobe picked (first name of its format list), passed back to ffmpeg with -f. */
  format: string;
  width: number;
  height: number;
  /** Frames per second of the video stream, when it says. */
  fps?: number;
  durationS?: number;
  codec: string;
}

/**
 * Containers accepted for uploads. Playlists and concatenation formats (hls, concat, …) are left
 * out on purpose: they make ffmpeg open other files or URLs named inside the upload.
 */
const UPLOAD_FORMATS = new Set(['mov', 'matroska', 'avi', 'mpegts', 'mpeg', 'flv', 'mjpeg', 'mpjpeg', 'asf', 'ogg', 'h264', 'hevc', 'm4v', 'ivf', 'nut']);

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  const value = d ? n / d : n;
  return Number.isFinite(value) && value > 0 && value < 1000 ? value : undefined;
}

/**
 * Reads an uploaded file's container and video stream with ffprobe. Not a video ffmpeg knows →
 * 415; a known container without a usable video stream → 422.
 */
export async function probeVideo(tools: FfmpegTools, file: string): Promise<VideoInfo> {
  const result = await run(tools.ffprobe, ['-v', 'error', '-protocol_whitelist', 'file', '-print_format', 'json', '-show_format', '-show_streams', file], 30_000);
  if (result.code !== 0) throw errors.unsupportedVideo(`The upload is not a video ffmpeg can read (${result.stderr.trim().split('\n').pop()?.replace(file, 'upload') || 'unknown format'}).`);
  const parsed = JSON.parse(result.stdout) as {
    format?: { format_name?: string; duration?: string };
    streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; duration?: string; disposition?: { attached_pic?: number } }>;
  };
  const format = parsed.format?.format_name?.split(',')[0] ?? '';
  if (!UPLOAD_FORMATS.has(format)) {
    throw errors.unsupportedVideo(format.endsWith('_pipe') || format === 'image2' ? 'The upload is a still image, not a video; use POST /v1/analyze for images.' : `The upload's format (${format || 'unknown'}) is not accepted as a video.`);
  }
  const video = parsed.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) throw errors.invalidVideo('the file has no video stream.');
  const duration = Number(video.duration ?? parsed.format?.duration);
  return {
    format,
    width: video.width,
    height: video.height,
    fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate),
    durationS: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    codec: video.codec_name ?? 'unknown',
  };
}

/**
 * Where frames come from: an uploaded file (with the demuxer its probe found), or a network source
 * that ffmpeg reads through Argus's relay (`input`, a loopback URL; see service/video-sources.ts),
 * never from the client's URL itself. `url` is the client's URL, for results and logs.
 */
export type VideoSource =
  | { kind: 'file'; path: string; format: string }
  | { kind: 'url'; url: string; input: string; protocols: string };

export interface DecodeOptions {
  source: VideoSource;
  /** Frames per second to sample. */
  fps: number;
  /** Stop after this many seconds of video. */
  maxDurationS?: number;
  /** A live source: timestamps from the wall clock, and no buffering to catch up. */
  live?: boolean;
}

/**
 * Demuxers a network source may use: the upload formats and RTSP. Playlists (hls, dash) and
 * concatenation formats are left out, as for uploads: they make ffmpeg open further URLs named
 * inside the source, which would bypass the relay and its address rules.
 */
const NETWORK_FORMATS = [...UPLOAD_FORMATS, 'rtsp'].join(',');

function inputArgs(options: DecodeOptions, legacyRtspTimeout: boolean): string[] {
  const { source } = options;
  if (source.kind === 'file') return ['-protocol_whitelist', 'file', '-f', source.format, '-i', source.path];
  const args = ['-protocol_whitelist', source.protocols, '-format_whitelist', NETWORK_FORMATS];
  // Socket timeouts in microseconds, so a silent source fails (and reconnects) instead of hanging.
  if (/^rtsps?:/i.test(source.input)) args.push('-rtsp_transport', 'tcp', legacyRtspTimeout ? '-stimeout' : '-timeout', '10000000');
  else args.push('-rw_timeout', '10000000');
  if (options.live) args.push('-fflags', 'nobuffer', '-use_wallclock_as_timestamps', '1');
  return [...args, '-i', source.input];
}

/** The full ffmpeg command line for decoding (exported for tests and logs). */
export function decodeArgs(options: DecodeOptions, tools: Pick<FfmpegTools, 'legacyRtspTimeout'> = {}): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...inputArgs(options, tools.legacyRtspTimeout ?? false),
    ...(options.maxDurationS ? ['-t', String(options.maxDurationS)] : []),
    '-an', '-sn', '-dn',
    '-vf', `fps=${options.fps}`,
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p',
    'pipe:1',
  ];
}

/**
 * Splits a stream of concatenated JPEGs (ffmpeg's image2pipe) into frames by walking the JPEG
 * markers: segment lengths are skipped, and after start-of-scan the entropy-coded data is scanned
 * for the next real marker (0xFF not followed by 0x00 or a restart marker), so bytes that look like
 * an end-of-image marker inside a segment never split a frame.
 */
export class JpegSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  /** Inside a frame (the buffer starts at its SOI): where scanning resumes, and whether in scan data. */
  private inFrame = false;
  private pos = 0;
  private inScan = false;

  /** Adds bytes; returns the frames they completed. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      if (!this.inFrame) {
        const start = this.buffer.indexOf(SOI);
        if (start < 0) {
          // Keep a trailing 0xFF: it may be the first half of the next SOI.
          this.buffer = this.buffer.length && this.buffer[this.buffer.length - 1] === 0xff ? this.buffer.subarray(-1) : Buffer.alloc(0);
          return frames;
        }
        this.buffer = this.buffer.subarray(start);
        this.inFrame = true;
        this.pos = 2;
        this.inScan = false;
      }
      const end = this.scan();
      if (end < 0) return frames;
      frames.push(Buffer.from(this.buffer.subarray(0, end)));
      this.buffer = this.buffer.subarray(end);
      this.inFrame = false;
    }
  }

  /** Walks the current frame from where it stopped; the offset past its EOI, or -1 when more bytes are needed. */
  private scan(): number {
    const b = this.buffer;
    while (this.pos + 1 < b.length) {
      if (b[this.pos] !== 0xff) {
        // Entropy-coded data (or garbage between segments): move on to the next 0xFF.
        this.pos++;
        continue;
      }
      const marker = b[this.pos + 1];
      // Fill bytes, and inside scan data stuffed zeros and restart markers, are not segment markers.
      if (marker === 0xff || (this.inScan && (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)))) {
        this.pos++;
        continue;
      }
      if (marker === 0xd9) return this.pos + 2;
      if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0x00) {
        this.pos += 2;
        continue;
      }
      if (this.pos + 3 >= b.length) return -1;
      this.pos += 2 + b.readUInt16BE(this.pos + 2);
      this.inScan = marker === 0xda;
    }
    return -1;
  }
}

const SOI = Buffer.from([0xff, 0xd8]);

export interface DecoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr: why it stopped. */
  stderr: string;
}

/**
 * One ffmpeg process decoding a source into sampled JPEG frames. Iterate `frames()`; for a file,
 * ffmpeg waits while frames are not consumed (pipe backpressure), so none is lost. `stop()` ends
 * the process (SIGTERM, then SIGKILL after a grace period) and resolves once it has exited, so a
 * stopped decoder never leaves a process behind.
 */
export class FrameDecoder {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private stderr = '';
  readonly exited: Promise<DecoderExit>;

  constructor(tools: FfmpegTools, readonly options: DecodeOptions) {
    this.child = spawn(tools.ffmpeg, decodeArgs(options, tools), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4096)));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.stderr += `\n${error.message}`;
      });
      this.child.on('close', (code, signal) => resolve({ code, signal, stderr: this.stderr.trim() }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The frames, in order, as ffmpeg produces them; ends when ffmpeg does. */
  async *frames(): AsyncGenerator<Buffer> {
    const splitter = new JpegSplitter();
    for await (const chunk of this.child.stdout) {
      for (const frame of splitter.push(chunk as Buffer)) yield frame;
    }
  }

  /** Stops ffmpeg and waits until the process is gone. */
  async stop(graceMs = 2000): Promise<DecoderExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      timer.unref();
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}

/** A URL with its password hidden, for lists and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:***@');
}
