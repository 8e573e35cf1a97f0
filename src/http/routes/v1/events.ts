import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import type { HistoryService } from '../../../service/history.js';
import type { StatsCollector } from '../../../service/stats.js';
import type { SystemService } from '../../../service/system.js';
import { openEventChannel, type EventChannel } from '../../event-channel.js';
import { ownerOf } from '../../plugins/auth.js';
import { errorResponses } from '../../schemas.js';
import { historyView } from './history.js';
import { jobView } from './jobs.js';
import { statusView } from './system.js';

const TOPICS = ['jobs', 'history', 'stats', 'status'] as const;
type Topic = (typeof TOPICS)[number];

/** How often the `status` topic pushes GET /v1/system/status (it reads every worker's RSS from /proc). */
const STATUS_EVERY_MS = 2_000;

const Query = Type.Object({
  topics: Type.String({
    default: 'jobs,history,stats',
    pattern: '^[a-z]+(,[a-z]+)*$',
    description: `Comma-separated: ${TOPICS.join(', ')}.`,
  }),
});

export interface EventRouteDeps {
  history: HistoryService;
  stats: StatsCollector;
  system: SystemService;
}

/**
 * GET /v1/events: one server-sent-event stream for the dashboard (or any script). Events:
 * `hello` (first: the topics, and whether job states are live here), `job` (an async job changed
 * state: the job as GET /v1/jobs/{id} gives it, without its result), `history` (a result was
 * recorded: the entry as GET /v1/history lists it), `stats` (each second: requests, errors and
 * latency percentiles of the second that ended) and `status` (every 2 s: GET /v1/system/status).
 * `job` and `history` events are those of the caller's key (all of them for an admin key).
 */
export const eventRoutes: FastifyPluginAsync<EventRouteDeps> = async (app, { history, stats, system }) => {
  // Streams last as long as their pages; end them when the server stops, or close would wait on them.
  const open = new Set<EventChannel>();
  app.addHook('preClose', async () => {
    for (const channel of open) channel.end();
  });

  app.get('/events', {
    // The stream lives as long as the page; its duration is no request latency.
    config: { stats: false },
    schema: {
      tags: ['system'],
      summary: 'Live events: job states, new results, request statistics, system status (server-sent events)',
      querystring: Query,
      response: { 200: Type.Unsafe({ type: 'string', description: 'text/event-stream' }), ...errorResponses },
    },
  }, async (request, reply) => {
    const asked = (request.query as { topics: string }).topics.split(',');
    const unknown = asked.filter((t) => !(TOPICS as readonly string[]).includes(t));
    if (unknown.length) throw errors.invalidParams(`Unknown topics: ${unknown.join(', ')} (known: ${TOPICS.join(', ')}).`);
    const topics = new Set(asked as Topic[]);
    const channel = openEventChannel(reply);
    open.add(channel);
    channel.onClose(() => open.delete(channel));
    channel.send('hello', { topics: [...topics], live_jobs: history.liveJobs, recording: history.enabled });

    if (topics.has('jobs') || topics.has('history')) {
      // An inference key hears of its own jobs and results only, as it reads them.
      channel.onClose(history.watch((event) => {
        if (event.type === 'job' && topics.has('jobs')) channel.send('job', { ...jobView(event.job), result: undefined });
        if (event.type === 'history' && topics.has('history')) channel.send('history', historyView(event.entry));
      }, ownerOf(request)));
    }
    if (topics.has('stats')) channel.onClose(stats.onSecond((point) => channel.send('stats', point)));
    if (topics.has('status')) {
      const push = () => system.status().then((status) => channel.send('status', statusView(status)), (error: unknown) => request.log.warn({ err: error }, 'status event failed'));
      void push();
      const timer = setInterval(() => void push(), STATUS_EVERY_MS);
      channel.onClose(() => clearInterval(timer));
    }
    return reply;
  });
};
