import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import Type from 'typebox';
import { ArgusError, errors } from '../../errors.js';
import type { JobRecord } from '../../jobs/types.js';
import { CameraRegistry } from './cameras.js';
import { Channels, type Listener } from './channels.js';
import { motionRuleNames, type CompiledCamera } from './config.js';
import { describeFrame } from './describe.js';
import type { DronePipeline } from './drone-pipeline.js';
import { probeVideo, type FfmpegTools, type VideoSource } from './ffmpeg.js';
import { describeFfmpeg, ffmpegReport, locateFfmpeg, type FfmpegChoice, type FfmpegReport } from './ffmpeg-locate.js';
import { loadPipelineFile } from './pipeline-file.js';
import { evaluateFrame, locate, priorityOf, riskOf, type Detected } from './rules.js';
import { StreamSupervisor, type LiveStream } from './streams.js';
import { analyzeVideo, type FrameDetection } from './video.js';
import type { FeatureDeps } from '../deps.js';
import { sourceFetcherFor } from '../../service/fetch-url.js';
import type { RelayedSource } from './source-relay.js';
import { VideoSources } from './video-sources.js';
import type { CompositeCall, CompositeTask, ImageInput, InferenceService, TaskResult } from '../../service/inference.js';
import { round2 } from '../../numbers.js';

const InlineCamera = Type.Object({}, { additionalProperties: true, description: 'A camera config sent with the request (not stored).' });
const CameraChoice = {
  camera_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A camera defined in the pipeline config file or with PUT /v1/cameras/{id}.' })),
  camera: Type.Optional(InlineCamera),
};

/**
 * The client's own identifiers for a frame (a request id, an image name): returned unchanged with
 * the result, and kept with an async job, so a result read back later still says which frame it was.
 */
const FrameRef = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4096 }), {
  maxProperties: 8,
  description: "The client's own identifiers for this frame (e.g. {\"request_id\": \"r-1\", \"image_id\": \"gate/0001.jpg\"}), returned unchanged in the result.",
});

/** Parameters of the `analyze` task: which camera (by id, or inline), and the client's ids for the frame. */
export const AnalyzeParams = Type.Object({ ...CameraChoice, ref: Type.Optional(FrameRef) }, { additionalProperties: false });

/** Parameters of the `video-analyze` task; its text input is the source (a URL, or an upload's key). */
export const VideoParams = Type.Object(
  {
    ...CameraChoice,
    fps: Type.Number({ exclusiveMinimum: 0, maximum: 60, default: 5, description: 'Frames per second to sample (capped at the video\'s own rate).' }),
    max_duration_s: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 600, description: 'Analyse at most this many seconds (a live URL never ends by itself).' }),
    channel: Type.Optional(Type.String({ maxLength: 64, description: 'Set by POST /v1/video/analyze to stream progress; not for clients.' })),
  },
  { additionalProperties: false },
);

type CameraParams = { camera_id?: string; camera?: Record<string, unknown> };
type AnalyzeParamsT = CameraParams & { ref?: Record<string, string> };
type VideoParamsT = CameraParams & { fps: number; max_duration_s: number; channel?: string };

const UPLOAD_KEY = /^upload:([0-9a-f-]{36}\.[a-z0-9]{1,8})$/;
const URL_SOURCE = /^(rtsps?|https?):\/\/[^\s]+$/i;

/** A video to analyse: an uploaded file or a URL, with the task's parameters. */
export interface VideoRequest {
  upload?: ImageInput;
  url?: string;
  params: Record<string, unknown>;
}

/**
 * Scene analysis for CCTV and drone frames: cameras (homography, zones, rules), the `analyze`
 * and `video-analyze` composite tasks, and live streams. Every frame is detected through the one
 * inference service, so sync requests, jobs and the CLI share the same path.
 */
export class SceneService {
  readonly cameras: CameraRegistry;
  readonly streams: StreamSupervisor;
  readonly channels = new Channels();
  /** The drone service's pipeline_config.json settings, from the pipeline file (empty without them). */
  readonly drone: DronePipeline;
  private ffmpeg?: FfmpegChoice;
  private readonly ffmpegChoice: Promise<FfmpegChoice>;
  private readonly videosDir: string;
  /** Video and stream URLs under the URL rules, read by ffmpeg through relays. */
  private readonly sources: VideoSources;

  constructor(private readonly deps: FeatureDeps) {
    const { config, log, stores } = deps;
    const file = config.pipelineConfig ? loadPipelineFile(resolve(config.pipelineConfig)) : undefined;
    if (file) log.info({ file: file.path, cameras: [...file.cameras.keys()] }, `scene: ${file.cameras.size} cameras from ${file.path}`);
    this.drone = file?.drone ?? {};
    if (file?.drone) {
      const { detector, unusedCaptioner } = file.drone;
      log.info({ detector: detector ?? config.defaultDetectModel }, `scene: the drone service's API detects with ${detector ?? `the default detector (${config.defaultDetectModel})`} (from ${file.path})`);
      if (unusedCaptioner) log.warn(`scene: ${file.path} asks for captions by ${unusedCaptioner}; Argus runs no BLIP, so the drone service's API captions each frame with Argus's description sentence (GET /health says blip: false)`);
    }
    // Distributed: every node reads the same cameras (PostgreSQL); embedded: the local SQLite.
    this.cameras = new CameraRegistry(stores.cameras, file);
    this.videosDir = join(config.dataDir, 'videos');
    this.sources = new VideoSources(sourceFetcherFor(config), config.urlConnectTimeoutMs);
    this.ffmpegChoice = locateFfmpeg(config.ffmpegPath).then((choice) => {
      this.ffmpeg = choice;
      if (choice.available) log.info({ ffmpeg: choice.tools.ffmpeg, source: choice.source, version: choice.version }, `video: ${describeFfmpeg(choice)}`);
      else log.warn(this.notices()[0]);
      return choice;
    });
    this.streams = new StreamSupervisor(
      {
        tools: () => this.tools(),
        log,
        openSource: (url) => this.sources.open(url),
        detect: (camera, frame) => this.detectFrame(camera, frame, (request) => deps.service.run(request)),
      },
      config.maxStreams,
    );
  }

  /** The ffmpeg in use; only called after `requireFfmpeg` has resolved. */
  private tools(): FfmpegTools {
    if (!this.ffmpeg?.available) throw errors.ffmpegMissing(this.deps.config.ffmpegPath ?? 'ffmpeg', 'not checked yet');
    return this.ffmpeg.tools;
  }

  /** Which ffmpeg video and streams use (for /healthz); undefined until the check at start has finished. */
  ffmpegReport(): FfmpegReport | undefined {
    return this.ffmpeg && ffmpegReport(this.ffmpeg);
  }

  /** What /healthz should say about scene analysis: ffmpeg missing means no video and no streams. */
  notices(): string[] {
    if (!this.ffmpeg || this.ffmpeg.available) return [];
    return [`Video analysis and live streams are off: ${describeFfmpeg(this.ffmpeg)}. ${this.ffmpeg.fix}`];
  }

  /**
   * The drone service's `GET /health` fields: `yolo`, whether its API's detector is installed;
   * `blip`, whether a captioning model runs (never: captions are the description sentence).
   */
  droneHealth(): { yolo: boolean; blip: boolean } {
    return { yolo: this.deps.service.canAnswer('detect', this.drone.detector), blip: false };
  }

  /** Throws a 503 that says how to get ffmpeg when none works. */
  async requireFfmpeg(): Promise<FfmpegTools> {
    const choice = await this.ffmpegChoice;
    if (!choice.available) throw errors.ffmpegMissing(describeFfmpeg(choice), choice.fix);
    return choice.tools;
  }

  /** The camera a request names: by id (404 when unknown) or inline (validated, not stored). */
  async resolveCamera(params: CameraParams): Promise<CompiledCamera> {
    if (params.camera_id !== undefined && params.camera !== undefined) throw errors.invalidParams('Give camera_id or camera (an inline config), not both.');
    if (params.camera !== undefined) return this.cameras.inline(params.camera);
    if (params.camera_id === undefined) throw errors.invalidParams('A camera is required: camera_id, or camera (an inline config).');
    return this.cameras.get(params.camera_id);
  }

  private async detectFrame(camera: CompiledCamera, bytes: Uint8Array, run: (request: Parameters<InferenceService['run']>[0]) => Promise<TaskResult>, model?: string, conf?: number): Promise<FrameDetection> {
    const result = await run({
      task: 'detect',
      model: model ?? camera.model,
      image: { bytes },
      params: { conf: conf ?? camera.tracking.lowConf, ...(camera.iou !== undefined && { iou: camera.iou }), ...(camera.classes && { classes: camera.classes }) },
    });
    return result as unknown as FrameDetection & { width: number; height: number };
  }

  /** `analyze`: one image through detection, the homography, zones and rules. */
  readonly analyzeTask: CompositeTask = {
    name: 'analyze',
    input: 'image',
    params: AnalyzeParams,
    run: async (call: CompositeCall) => {
      const params = call.params as AnalyzeParamsT;
      const camera = await this.resolveCamera(params);
      const detected = (await this.detectFrame(camera, call.image!.bytes, call.run, call.model, camera.conf)) as FrameDetection & { width: number; height: number };
      const started = performance.now();
      const located = detected.detections.map((d: Detected) => locate(camera, { label: d.label, confidence: d.confidence, box: d.box }));
      const events = evaluateFrame(camera, located);
      const risk = riskOf(events);
      const skipped = motionRuleNames(camera);
      return {
        camera_id: camera.id,
        risk_level: risk,
        priority: priorityOf(risk, camera.priorities),
        objects: located.map((l) => l.object),
        events,
        description: describeFrame(located.map((l) => l.object.label), events),
        width: detected.width,
        height: detected.height,
        ...(skipped.length && { skipped_rules: skipped }),
        model: detected.model,
        ...(params.ref && { ref: params.ref }),
        timings: { ...detected.timings, scene_ms: round2(performance.now() - started) },
      };
    },
  };

  /** `video-analyze`: a video (upload or URL) sampled, detected, tracked and checked against the rules. */
  readonly videoTask: CompositeTask = {
    name: 'video-analyze',
    input: 'text',
    params: VideoParams,
    run: async (call: CompositeCall) => {
      const params = call.params as VideoParamsT;
      const upload = UPLOAD_KEY.exec(call.text ?? '');
      const path = upload ? join(this.videosDir, upload[1]) : undefined;
      let final = false;
      let relay: RelayedSource | undefined;
      try {
        const tools = await this.requireFfmpeg();
        const camera = await this.resolveCamera(params);
        let source: VideoSource;
        let info;
        if (path) {
          if (!existsSync(path)) throw errors.invalidVideo(`the uploaded file is no longer in ${this.videosDir}.`);
          info = await probeVideo(tools, path);
          source = { kind: 'file', path, format: info.format };
        } else if (URL_SOURCE.test(call.text ?? '')) {
          // Checked again now (the job may run long after it was accepted), and at each request ffmpeg makes.
          await this.sources.check(call.text!);
          relay = await this.sources.open(call.text!);
          source = { kind: 'url', url: call.text!, input: relay.input, protocols: relay.protocols };
        } else {
          throw errors.badRequest('The video source must be an rtsp://, rtsps://, http:// or https:// URL, or an uploaded file.');
        }
        const result = await analyzeVideo({
          tools,
          camera,
          source,
          info,
          fps: params.fps,
          maxDurationS: params.max_duration_s,
          detect: (frame) => this.detectFrame(camera, frame, call.run, call.model),
          onFrame: (step) => this.channels.publish(params.channel, { event: 'frame', data: step }),
        }).catch((error: unknown) => {
          // ffmpeg only says it could not read the source; the relay knows why (refused, unreachable).
          throw relay?.error && error instanceof ArgusError && error.code === 'invalid_video' ? relay.error : error;
        });
        this.channels.publish(params.channel, { event: 'done', data: { risk_level: result.risk_level, frames: result.frames } });
        final = true;
        return { ...result };
      } catch (error) {
        // A client error is final; a server-side one (shutdown, a crashed worker) may run again after a restart.
        final = error instanceof ArgusError && error.status < 500;
        this.channels.publish(params.channel, { event: 'failed', data: { error: error instanceof Error ? error.message : String(error) } });
        throw error;
      } finally {
        await relay?.close();
        if (path && final && !this.deps.config.keepUploads) await rm(path, { force: true });
      }
    },
  };

  /**
   * Checks a video request (ffmpeg present, camera known, upload really a video, URL scheme) and
   * submits it as a job. Returns the job and the channel its frames are published on.
   */
  async submitVideo(request: VideoRequest, listener?: Listener): Promise<{ job: JobRecord; unsubscribe: () => void }> {
    const tools = await this.requireFfmpeg();
    if (!!request.upload === !!request.url) throw errors.badRequest('Send a video file (multipart field `video`) or a URL ({"url": "rtsp://…"}), one of the two.');
    await this.resolveCamera(request.params as CameraParams);
    let text: string;
    let stored: string | undefined;
    if (request.upload) {
      await mkdir(this.videosDir, { recursive: true });
      const ext = (extname(request.upload.filename ?? '').slice(1).toLowerCase().replace(/[^a-z0-9]/g, '') || 'bin').slice(0, 8);
      const name = `${randomUUID()}.${ext}`;
      stored = join(this.videosDir, name);
      await writeFile(stored, request.upload.bytes);
      text = `upload:${name}`;
    } else {
      if (!URL_SOURCE.test(request.url!)) throw errors.badRequest('The url must start with rtsp://, rtsps://, http:// or https://.');
      // Refused here, before a job exists, when the rules forbid the address: nothing has connected.
      await this.sources.check(request.url!);
      text = request.url!;
    }
    const channel = randomUUID();
    const unsubscribe = listener ? this.channels.subscribe(channel, listener) : () => undefined;
    try {
      if (stored) await probeVideo(tools, stored);
      const job = await this.deps.service.submit({ task: 'video-analyze', text, params: { ...request.params, ...(listener && { channel }) } });
      return { job, unsubscribe };
    } catch (error) {
      unsubscribe();
      if (stored) await rm(stored, { force: true });
      throw error;
    }
  }

  /** Starts a live stream on a known camera. */
  async startStream(cameraId: string, url: string, fps: number): Promise<LiveStream> {
    await this.requireFfmpeg();
    const camera = await this.cameras.get(cameraId);
    if (!URL_SOURCE.test(url)) throw errors.badRequest('The url must start with rtsp://, rtsps://, http:// or https://.');
    await this.sources.check(url);
    return this.streams.start(camera, url, fps);
  }

  /** Stops every stream and ends every progress listener (server shutdown). */
  async close(): Promise<void> {
    this.channels.closeAll({ event: 'shutdown', data: { code: 'shutting_down', message: 'Argus is shutting down; the job goes on after a restart. Poll GET /v1/jobs/{id}.' } });
    await this.streams.stopAll();
  }
}

/** Scene analysis for CCTV and drone frames: builds the façade and registers its composite tasks. */
export function registerSceneTasks(deps: FeatureDeps): SceneService {
  const scene = new SceneService(deps);
  deps.service.registerComposite(scene.analyzeTask);
  deps.service.registerComposite(scene.videoTask);
  return scene;
}
