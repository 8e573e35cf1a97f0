import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { ArgusError, errors } from '../../../errors.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** What a bull-board error handler answers; its type lists fewer statuses than Fastify sends (no 401, 429). */
type BoardAnswer = ReturnType<Parameters<FastifyAdapter['setErrorHandler']>[0]>;

/**
 * bull-board, the queue dashboard, over every model queue of a distributed deployment: waiting,
 * active, failed jobs, retries. Mounted only in distributed mode (the embedded queue is SQLite).
 */
export const queueBoardRoutes: FastifyPluginAsync<{ queues: () => Queue[] }> = async (app, { queues }) => {
  const serverAdapter = new FastifyAdapter();
  createBullBoard({ queues: queues().map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter });
  // bull-board installs its own error handler on its routes, and it turned everything thrown
  // there, the auth hook's 401 and 403 included, into 500s of its own shape. Argus errors keep
  // their status and the native shape; anything else is a plain 500, logged.
  serverAdapter.setErrorHandler((error: Error): BoardAnswer => {
    if (error instanceof ArgusError) return { status: error.status, body: { error: error.toJSON() } } as unknown as BoardAnswer;
    app.log.error({ err: error }, 'queue board error');
    return { status: 500, body: { error: errors.internal().toJSON() } };
  });
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};
