import { Command } from 'commander';
import { tuneHeap } from '../app/heap.js';
import { startWorkerNode } from '../app/worker-node.js';
import { configFrom } from './options.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run an inference worker node of a distributed deployment (BullMQ + PostgreSQL)')
    .option('--queue <url>', 'Redis URL shared with the API nodes (or ARGUS_QUEUE_URL)')
    .option('--db <url>', 'PostgreSQL URL shared with the API nodes (or ARGUS_DB_URL)')
    .option('--models <list>', 'models this node serves, comma-separated (default: every installed model)')
    .action(async (options: { queue?: string; db?: string; models?: string }, command: Command) => {
      const config = configFrom(command, {
        queueUrl: options.queue,
        dbUrl: options.db,
        workerModels: options.models?.split(',').map((m) => m.trim()).filter(Boolean),
      });
      tuneHeap(config.heapGrowingPercent);
      const node = await startWorkerNode(config);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        node.log.info({ signal }, 'worker stopping: finishing active jobs, leaving the rest queued');
        node.close().then(() => process.exit(0), (error: unknown) => {
          node.log.error({ err: error }, 'worker shutdown failed');
          process.exit(1);
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
