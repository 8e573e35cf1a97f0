import { errors } from '../../errors.js';
import type { StageTimings } from '../../tasks/types.js';
import type { CompiledCamera } from './config.js';
import { FrameDecoder, redactUrl, type FfmpegTools, type VideoInfo, type VideoSource } from './ffmpeg.js';
import { MotionSession, type MotionStep, type MotionSummary } from './motion.js';
import type { Detected } from './rules.js';
import { round2 } from '../../numbers.js';

/** What one frame's detection returns (the detect task's result, as the service gives it). */
export interface FrameDetection {
  detections: Detected[];
  model: { alias: string; sha256?: string };
  timings: StageTimings & { queue_ms?: number };
}

export interface VideoRunOptions {
  tools: FfmpegTools;
  camera: CompiledCamera;
  source: VideoSource;
  /** The probe of an uploaded file (its frame rate caps the sampling rate). */
  info?: VideoInfo;
  /** Requested sampling rate, frames per second. */
  fps: number;
  maxDurationS: number;
  detect(frame: Buffer): Promise<FrameDetection>;
  /** Called with every analysed frame, in order (for streaming progress). */
  onFrame?(step: MotionStep & { index: number }): void;
  /**
   * Frames in detection at once. Two keep both single-threaded workers of a 2-core machine busy
   * while results are still consumed in order.
   * @defaultValue 2
   */
  window?: number;
}

export interface VideoResult extends MotionSummary {
  camera_id: string;
  source: { kind: 'upload' | 'url'; url?: string; width?: number; height?: number; fps?: number; codec?: string };
  /** The sampling rate used: the requested one, capped at the video's own frame rate. */
  fps: number;
  requested_fps: number;
  model: { alias: string; sha256?: string };
  timings: StageTimings & { queue_ms: number };
  /** What did not go as asked, e.g. ffmpeg stopping before the end of the source. */
  warnings?: string[];
}

type Settled = { ok: true; value: FrameDetection } | { ok: false; error: unknown };

/**
 * Analyses a video: ffmpeg samples frames at `fps`, each frame goes through detection (a few at a
 * time, consumed in order), then the tracker and the camera's rules. A detection that fails fails
 * the whole run (and ffmpeg is stopped); ffmpeg failing after some frames keeps what was analysed
 * and says so in `warnings`.
 */
export async function analyzeVideo(options: VideoRunOptions): Promise<VideoResult> {
  const { camera, info } = options;
  const fps = info?.fps ? Math.min(options.fps, info.fps) : options.fps;
  const decoder = new FrameDecoder(options.tools, { source: options.source, fps, maxDurationS: options.maxDurationS });
  const session = new MotionSession(camera, { fps });
  const window = options.window ?? 2;
  const pending: Array<{ index: number; result: Promise<Settled> }> = [];
  const timings = { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0, queue_ms: 0 };
  let model: FrameDetection['model'] | undefined;
  let analysed = 0;

  const consume = async (item: { index: number; result: Promise<Settled> }) => {
    const settled = await item.result;
    if (!settled.ok) throw settled.error;
    const { value } = settled;
    model ??= value.model;
    for (const key of Object.keys(timings) as Array<keyof typeof timings>) timings[key] += value.timings[key] ?? 0;
    const step = session.step(item.index / fps, value.detections);
    analysed++;
    options.onFrame?.({ ...step, index: item.index });
  };

  let index = 0;
  try {
    for await (const frame of decoder.frames()) {
      pending.push({ index: index++, result: options.detect(frame).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })) });
      if (pending.length >= window) await consume(pending.shift()!);
    }
    while (pending.length) await consume(pending.shift()!);
  } finally {
    await decoder.stop();
    // Let detections still running settle, so none ends as an unhandled rejection.
    await Promise.all(pending.map((p) => p.result));
  }

  const exit = await decoder.exited;
  const reason = exit.stderr.split('\n').filter(Boolean).pop();
  if (analysed === 0) throw errors.invalidVideo(exit.code === 0 ? 'no frame could be decoded from it.' : `ffmpeg could not read it (${reason ?? `exit code ${exit.code}`}).`);
  const warnings = exit.code === 0 ? [] : [`ffmpeg stopped before the end of the source (${reason ?? `exit code ${exit.code}`}); the result covers the first ${analysed} frames.`];

  const source = options.source;
  return {
    camera_id: camera.id,
    source: source.kind === 'file'
      ? { kind: 'upload', width: info?.width, height: info?.height, fps: info?.fps, codec: info?.codec }
      : { kind: 'url', url: redactUrl(source.url) },
    fps: round2(fps),
    requested_fps: options.fps,
    ...session.summary(),
    model: model!,
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round2(v)])) as unknown as VideoResult['timings'],
    ...(warnings.length && { warnings }),
  };
}
