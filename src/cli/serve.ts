import { Command } from 'commander';
import { createArgus } from '../app/argus.js';
import { tuneHeap } from '../app/heap.js';
import { configFrom, parseNumber } from './options.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API')
    .option('-p, --port <port>', 'TCP port (default 8000)', parseNumber)
    .option('-H, --host <host>', 'address to bind (default 127.0.0.1)')
    .option('--insecure', 'serve on a non-loopback address without API keys (anyone reaching it may use every route)')
    .option('--queue <url>', 'Redis URL: run as a stateless API node of a distributed deployment (with --db)')
    .option('--db <url>', 'PostgreSQL URL for job records in distributed mode (with --queue)')
    .action(async (options: { port?: number; host?: string; queue?: string; db?: string; insecure?: boolean }, command: Command) => {
      const config = configFrom(command, { port: options.port, host: options.host, queueUrl: options.queue, dbUrl: options.db, insecure: options.insecure });
      tuneHeap(config.heapGrowingPercent);
      const argus = await createArgus(config);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        argus.log.info({ signal }, 'shutting down: finishing in-flight requests, returning running jobs to the queue');
        argus.close().then(
          () => process.exit(0),
          (error: unknown) => {
            argus.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      await argus.listen();
    });
}
