import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { JobRecord } from '../../../jobs/types.js';
import type { ChannelMessage } from '../../../features/scene/channels.js';
import type { InferenceService } from '../../../service/inference.js';
import type { SceneService } from '../../../features/scene/service.js';
import { openEventChannel, wantsEventStream } from '../../event-channel.js';
import { errorResponses, FileField } from '../../schemas.js';
import { UploadedFile } from '../../uploads.js';
import { jobView, JobResponse } from './jobs.js';
import { cameraParams } from './scene-analyze.js';

const Sampling = {
  camera_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 60, description: 'Frames per second to analyse (default 5; capped at the video\'s own rate).' })),
  max_duration_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400, description: 'Analyse at most this many seconds (default 600).' })),
};
const JsonBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 4096, description: 'rtsp://, rtsps://, http:// or https:// (MJPEG, MPEG-TS or a video file; not playlists such as HLS). Public addresses only, unless allowlisted (ARGUS_STREAM_ALLOWLIST for camera networks).' }),
  camera: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'An inline camera config.' })),
  ...Sampling,
});
const MultipartBody = Type.Object({
  video: FileField('The video file (MP4, MKV, WebM, AVI, MOV, MPEG-TS, MJPEG).'),
  camera: Type.Optional(Type.String({ description: 'An inline camera config as a JSON string.', contentMediaType: 'application/json' })),
  ...Sampling,
});
const Query = Type.Object({ stream: Type.Optional(Type.Boolean({ description: 'Stream progress as server-sent events (as Accept: text/event-stream).' })) });

const FINAL = new Set(['succeeded', 'failed']);

export const sceneVideoRoutes: FastifyPluginAsync<{ scene: SceneService; service: InferenceService }> = async (app, { scene, service }) => {
  app.post('/video/analyze', {
    schema: {
      tags: ['scene'],
      summary: 'Analyse a video: sampled detection, tracking (ByteTrack), ground speeds and rule events',
      description:
        'A multipart `video` file, or JSON `{"url": …}`, with `camera_id` (or `camera`) and `fps`. Runs as a job: 202 with the job ' +
        '(poll GET /v1/jobs/{id}), or, with `Accept: text/event-stream` or `?stream=true`, server-sent events while it runs: ' +
        '`job` (the job), `frame` (each analysed frame: objects with track ids, events), and last `result` (the job with its result), ' +
        'or `error` when the server shuts down first (the job goes on after a restart).',
      querystring: Query,
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 202: JobResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.video !== undefined && !(body.video instanceof UploadedFile)) throw errors.badRequest('The video field must be a file upload.');
    const upload = body.video instanceof UploadedFile ? { bytes: body.video.bytes, filename: body.video.filename } : undefined;
    const params = {
      ...cameraParams(body),
      ...(body.fps !== undefined && { fps: body.fps }),
      ...(body.max_duration_s !== undefined && { max_duration_s: body.max_duration_s }),
    };
    const url = typeof body.url === 'string' ? body.url : undefined;
    if (!wantsEventStream(request.headers.accept, (request.query as { stream?: boolean }).stream)) {
      const { job } = await scene.submitVideo({ upload, url, params });
      return reply.status(202).header('location', `/v1/jobs/${job.id}`).send(jobView(job));
    }

    // Messages that arrive before the event stream is open are held, so none is lost.
    const held: ChannelMessage[] = [];
    let deliver = (message: ChannelMessage) => void held.push(message);
    const { job, unsubscribe } = await scene.submitVideo({ upload, url, params }, (message) => deliver(message));
    const events = openEventChannel(reply);
    events.send('job', jobView(job));
    let finishing = false;
    const finish = async () => {
      if (finishing) return;
      finishing = true;
      unsubscribe();
      // The queue records the result just after the task returns: wait for the stored, final job.
      for (let i = 0; i < 200 && !events.closed; i++) {
        const current: JobRecord = await service.getJob(job.id);
        if (FINAL.has(current.status)) {
          events.send('result', jobView(current));
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      events.end();
    };
    deliver = (message) => {
      if (message.event === 'frame') {
        events.send('frame', message.data);
      } else if (message.event === 'shutdown') {
        events.send('error', message.data);
        events.end();
      } else {
        void finish();
      }
    };
    held.splice(0).forEach((message) => deliver(message));
    // A job that finishes without publishing (it ran elsewhere, or failed before starting) still ends the stream.
    const poll = setInterval(() => {
      void service.getJob(job.id).then((current) => (FINAL.has(current.status) ? finish() : undefined), () => undefined);
    }, 2000);
    events.onClose(() => {
      clearInterval(poll);
      unsubscribe();
    });
    return reply;
  });
};
