import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board, the queue dashboard, over every model queue of a distributed deployment: waiting,
 * active, failed jobs, retries. Mounted only in distributed mode (the embedded queue is SQLite).
 */
export const queueBoardRoutes: FastifyPluginAsync<{ queues: () => Queue[] }> = async (app, { queues }) => {
  const serverAdapter = new FastifyAdapter();
  createBullBoard({ queues: queues().map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter });
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};
