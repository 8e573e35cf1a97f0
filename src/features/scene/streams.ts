import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ArgusError, errors } from '../../errors.js';
import type { CompiledCamera } from './config.js';
import { FrameDecoder, redactUrl, type FfmpegTools } from './ffmpeg.js';
import { MotionSession } from './motion.js';
import type { FrameDetection } from './video.js';
import type { ChannelMessage, Listener } from './channels.js';
import { round2 } from '../../numbers.js';

export type StreamState = 'starting' | 'running' | 'reconnecting' | 'stopped' | 'failed';

export interface StreamView {
  id: string;
  camera_id: string;
  url: string;
  /** Requested sampling rate. */
  fps: number;
  state: StreamState;
  started_at: string;
  /** Frames per second arriving from ffmpeg, and analysed, over the last few seconds. */
  fps_in: number;
  fps_out: number;
  /** Milliseconds from a frame's arrival to the end of its analysis, for the last analysed frame. */
  lag_ms: number;
  frames_in: number;
  frames_out: number;
  /** Frames skipped because analysis was still busy with an earlier one (the newest always wins). */
  dropped_frames: number;
  reconnects: number;
  last_error?: string;
  /** Seconds until the next connection attempt, while reconnecting. */
  retry_in_s?: number;
  /** The pid of the ffmpeg process decoding the source, while one runs. */
  ffmpeg_pid?: number;
}

export interface StreamOptions {
  /** First reconnection delay. @defaultValue 1000 */
  backoffMs?: number;
  /** Longest reconnection delay (the delay doubles up to this). @defaultValue 30000 */
  maxBackoffMs?: number;
}

/** A source opened for one connection attempt: what ffmpeg reads (a relay's loopback URL), and why the relay refused, if it did. */
export interface OpenedSource {
  input: string;
  protocols: string;
  readonly error?: Error;
  close(): Promise<void>;
}

export interface StreamDeps {
  /** The ffmpeg to run, asked at each (re)connection: it is chosen asynchronously at start. */
  tools: () => FfmpegTools;
  log: Logger;
  /**
   * Opens the source for one connection attempt, checked under the URL rules each time (a host
   * whose DNS answer changed to a forbidden address is refused at the next reconnection).
   */
  openSource(url: string): Promise<OpenedSource>;
  /** Detects objects in one frame (the service's detect task, at interactive priority). */
  detect(camera: CompiledCamera, frame: Buffer): Promise<FrameDetection>;
}

/** Counts events over a sliding window, to give a rate per second. */
class RateMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 5000) {}

  tick(now = Date.now()): void {
    this.times.push(now);
    while (this.times.length && this.times[0] < now - this.windowMs) this.times.shift();
  }

  rate(since: number, now = Date.now()): number {
    while (this.times.length && this.times[0] < now - this.windowMs) this.times.shift();
    const span = Math.min(this.windowMs, now - since) / 1000;
    return span > 0 ? round2(this.times.length / span) : 0;
  }
}

/**
 * One live source under supervision: ffmpeg decodes it at the sampling rate; the newest frame is
 * analysed whenever the previous analysis is done (older waiting frames are dropped and counted),
 * so a slow model adds no growing delay. When ffmpeg stops (the source failed or ended) the stream
 * reconnects after an exponential backoff, and its state says so. Stopping kills ffmpeg and waits
 * for the process to exit, whatever the state, so no decoder outlives its stream.
 */
export class LiveStream {
  readonly id = randomUUID();
  state: StreamState = 'starting';
  private readonly startedAt = Date.now();
  private decoder?: FrameDecoder;
  private readonly session: MotionSession;
  private readonly listeners = new Set<Listener>();
  private stopping = false;
  private wake?: () => void;
  private retryAt?: number;
  private analysing?: Promise<void>;
  private waiting?: { frame: Buffer; at: number };
  private readonly inRate = new RateMeter();
  private readonly outRate = new RateMeter();
  private framesIn = 0;
  private framesOut = 0;
  private dropped = 0;
  private reconnects = 0;
  private lagMs = 0;
  private lastError?: string;
  private loop?: Promise<void>;

  constructor(
    private readonly deps: StreamDeps,
    readonly camera: CompiledCamera,
    readonly url: string,
    readonly fps: number,
    private readonly options: StreamOptions = {},
  ) {
    this.session = new MotionSession(camera, { fps, retainEnded: false, maxPathPoints: Math.ceil(fps * 60) });
  }

  start(): void {
    this.loop ??= this.run();
  }

  view(): StreamView {
    return {
      id: this.id,
      camera_id: this.camera.id,
      url: redactUrl(this.url),
      fps: this.fps,
      state: this.state,
      started_at: new Date(this.startedAt).toISOString(),
      fps_in: this.inRate.rate(this.startedAt),
      fps_out: this.outRate.rate(this.startedAt),
      lag_ms: Math.round(this.lagMs),
      frames_in: this.framesIn,
      frames_out: this.framesOut,
      dropped_frames: this.dropped,
      reconnects: this.reconnects,
      ...(this.lastError && { last_error: this.lastError }),
      ...(this.state === 'reconnecting' && this.retryAt && { retry_in_s: Math.max(0, Math.round((this.retryAt - Date.now()) / 100) / 10) }),
      ...(this.decoderRunning() && { ffmpeg_pid: this.decoder!.pid }),
    };
  }

  /** Listens to the stream's state changes, analysed frames and events; starts with the current state. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener({ event: 'state', data: this.view() });
    return () => this.listeners.delete(listener);
  }

  private emit(message: ChannelMessage): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** Changes state and tells listeners; `always` re-announces an unchanged state (each reconnection attempt). */
  private setState(state: StreamState, error?: string, always = false): void {
    if (error) this.lastError = error;
    if (this.state === state && !always) return;
    if (this.state !== state) this.deps.log.info({ stream: this.id, camera: this.camera.id, state, error }, `stream ${this.id} ${state}`);
    this.state = state;
    this.emit({ event: 'state', data: this.view() });
  }

  private async run(): Promise<void> {
    let backoff = this.options.backoffMs ?? 1000;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    while (!this.stopping) {
      let reason: string;
      try {
        const source = await this.deps.openSource(this.url);
        try {
          // Stopped while the source was being opened: no decoder is started.
          reason = this.stopping ? '' : await this.decode(source, () => (backoff = this.options.backoffMs ?? 1000));
        } finally {
          await source.close();
        }
      } catch (error) {
        reason = (error as Error).message;
      }
      if (this.stopping || this.state === 'failed') break;
      this.reconnects++;
      this.retryAt = Date.now() + backoff;
      this.setState('reconnecting', reason, true);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }

  /** Runs one ffmpeg on an opened source until it stops; returns why it stopped (the relay's reason first: ffmpeg's is vaguer). */
  private async decode(source: OpenedSource, onRunning: () => void): Promise<string> {
    const decoder = new FrameDecoder(this.deps.tools(), { source: { kind: 'url', url: this.url, input: source.input, protocols: source.protocols }, fps: this.fps, live: true });
    this.decoder = decoder;
    try {
      for await (const frame of decoder.frames()) {
        if (this.stopping) break;
        if (this.state !== 'running') {
          this.setState('running');
          onRunning();
        }
        this.onFrame(frame);
      }
    } catch (error) {
      this.lastError = (error as Error).message;
    }
    const exit = await decoder.exited;
    return source.error?.message ?? exit.stderr.split('\n').filter(Boolean).pop() ?? `ffmpeg exited with code ${exit.code}`;
  }

  private onFrame(frame: Buffer): void {
    const at = Date.now();
    this.framesIn++;
    this.inRate.tick(at);
    if (this.analysing) {
      if (this.waiting) this.dropped++;
      this.waiting = { frame, at };
      return;
    }
    this.analysing = this.analyse(frame, at);
  }

  private async analyse(frame: Buffer, at: number): Promise<void> {
    try {
      const result = await this.deps.detect(this.camera, frame);
      if (this.stopping) return;
      const step = this.session.step((at - this.startedAt) / 1000, result.detections);
      this.framesOut++;
      this.outRate.tick();
      this.lagMs = Date.now() - at;
      this.emit({ event: 'frame', data: { t: step.t, at: new Date(at).toISOString(), risk_level: step.risk_level, objects: step.objects } });
      for (const event of step.events) this.emit({ event: 'event', data: { ...event, at: new Date(at).toISOString() } });
    } catch (error) {
      if (error instanceof ArgusError && error.status < 500) {
        // The camera's detector refuses this request (unknown model or classes): retrying cannot help.
        this.setState('failed', error.message);
        void this.decoder?.stop();
        return;
      }
      this.dropped++;
      this.lastError = (error as Error).message;
    } finally {
      this.analysing = undefined;
      const next = this.waiting;
      this.waiting = undefined;
      if (next && !this.stopping && this.state !== 'failed') this.analysing = this.analyse(next.frame, next.at);
    }
  }

  /** Stops the stream: ffmpeg is killed and awaited, the analysis in flight finishes, listeners are told. */
  async stop(): Promise<StreamView> {
    this.stopping = true;
    this.wake?.();
    await this.decoder?.stop();
    await this.loop;
    while (this.analysing) await this.analysing;
    this.setState('stopped');
    this.listeners.clear();
    return this.view();
  }

  private decoderRunning(): boolean {
    return this.decoder !== undefined && this.decoder.running;
  }
}

/** All live streams: start, list, stop, and stop everything on shutdown. */
export class StreamSupervisor {
  private readonly streams = new Map<string, LiveStream>();

  constructor(private readonly deps: StreamDeps, private readonly maxStreams: number, private readonly options: StreamOptions = {}) {}

  start(camera: CompiledCamera, url: string, fps: number): LiveStream {
    const live = [...this.streams.values()].filter((s) => s.state !== 'stopped' && s.state !== 'failed').length;
    if (live >= this.maxStreams) throw errors.tooManyStreams(this.maxStreams);
    const stream = new LiveStream(this.deps, camera, url, fps, this.options);
    this.streams.set(stream.id, stream);
    stream.start();
    return stream;
  }

  get(id: string): LiveStream {
    const stream = this.streams.get(id);
    if (!stream) throw errors.streamNotFound(id);
    return stream;
  }

  list(): StreamView[] {
    return [...this.streams.values()].map((s) => s.view());
  }

  async stop(id: string): Promise<StreamView> {
    const stream = this.get(id);
    this.streams.delete(id);
    return stream.stop();
  }

  async stopAll(): Promise<void> {
    const all = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}
