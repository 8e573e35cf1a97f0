import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { StreamView as StreamViewT } from '../../../features/scene/streams.js';
import type { SceneService } from '../../../features/scene/service.js';
import { openEventChannel } from '../../event-channel.js';
import { errorResponses } from '../../schemas.js';
import { StreamView } from './scene-schemas.js';

const StartBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 4096, description: 'rtsp://, rtsps://, http:// or https:// (e.g. an MJPEG camera). Public addresses only, unless allowlisted (ARGUS_STREAM_ALLOWLIST for camera networks); checked again at every reconnection.' }),
  camera_id: Type.String({ minLength: 1, maxLength: 64 }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 60, default: 2, description: 'Frames per second to analyse.' }),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export const sceneStreamRoutes: FastifyPluginAsync<{ scene: SceneService }> = async (app, { scene }) => {
  app.post('/streams', {
    schema: {
      tags: ['scene'],
      summary: 'Start analysing a live stream',
      description: 'Runs under a supervisor: a failing source reconnects with exponential backoff (state `reconnecting`).',
      body: StartBody,
      response: { 201: StreamView, ...errorResponses },
    },
  }, async (request, reply) => {
    const { url, camera_id, fps } = request.body as { url: string; camera_id: string; fps: number };
    const stream = await scene.startStream(camera_id, url, fps);
    return reply.status(201).header('location', `/v1/streams/${stream.id}`).send(stream.view());
  });

  app.get('/streams', {
    schema: { tags: ['scene'], summary: 'Live streams: state, fps in/out, lag, dropped frames', response: { 200: Type.Object({ streams: Type.Array(StreamView) }) } },
  }, async () => ({ streams: scene.streams.list() }));

  app.get('/streams/:id', {
    schema: { tags: ['scene'], summary: 'One live stream', params: IdParams, response: { 200: StreamView, ...errorResponses } },
  }, async (request) => scene.streams.get((request.params as { id: string }).id).view());

  app.get('/streams/:id/events', {
    schema: {
      tags: ['scene'],
      summary: 'Server-sent events of a live stream',
      description: '`state` (on every change, and first), `frame` (each analysed frame: objects with track ids and speeds), `event` (each rule event as it begins). Ends when the stream stops.',
      params: IdParams,
      response: { ...errorResponses },
    },
  }, async (request, reply) => {
    const stream = scene.streams.get((request.params as { id: string }).id);
    const events = openEventChannel(reply);
    const unsubscribe = stream.subscribe((message) => {
      events.send(message.event, message.data);
      if (message.event === 'state' && (message.data as StreamViewT).state === 'stopped') events.end();
    });
    events.onClose(unsubscribe);
    return reply;
  });

  app.delete('/streams/:id', {
    schema: { tags: ['scene'], summary: 'Stop a live stream (its ffmpeg process is ended and awaited)', params: IdParams, response: { 200: StreamView, ...errorResponses } },
  }, async (request) => scene.streams.stop((request.params as { id: string }).id));
};
