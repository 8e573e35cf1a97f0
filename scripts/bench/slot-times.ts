/**
 * How long each request held a worker slot, as BullMQ saw it: the times (Redis's clock, from the
 * event stream's entry ids) at which a request job was added, taken by a worker node (active)
 * and finished. Held time = finished − active, which includes what a node does besides computing
 * (fetching the job and the image, the hop to its model process, returning the result).
 */
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';

export interface SlotTimes {
  jobId: string;
  added: number;
  active: number;
  finished: number;
}

/** The ms part of a stream entry id (`<ms>-<seq>`). */
const msOf = (id: string) => Number(id.split('-')[0]);

export class SlotLog {
  private readonly events: QueueEvents;
  private readonly clock: Redis;
  private readonly jobs = new Map<string, Partial<SlotTimes>>();

  constructor(redisUrl: string, prefix: string, queue: string) {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    this.events = new QueueEvents(queue, { connection, prefix });
    this.clock = new Redis(redisUrl);
    this.clock.on('error', () => undefined);
    const note = (jobId: string, key: 'added' | 'active' | 'finished', id: string) => {
      const job = this.jobs.get(jobId) ?? { jobId };
      job[key] = msOf(id);
      this.jobs.set(jobId, job);
    };
    this.events.on('added', ({ jobId, name }, id) => { if (name === 'request') note(jobId, 'added', id); });
    this.events.on('active', ({ jobId }, id) => note(jobId, 'active', id));
    this.events.on('completed', ({ jobId }, id) => note(jobId, 'finished', id));
  }

  ready(): Promise<void> {
    return this.events.waitUntilReady().then(() => undefined);
  }

  /** Complete records of request jobs added from `sinceMs` (Redis's clock) on, in the order they were added. */
  since(sinceMs: number): SlotTimes[] {
    return [...this.jobs.values()]
      .filter((j): j is SlotTimes => j.added !== undefined && j.active !== undefined && j.finished !== undefined && j.added >= sinceMs)
      .sort((a, b) => a.added - b.added);
  }

  /** Redis's clock now (ms), to mark where a run starts. */
  async now(): Promise<number> {
    const [s, us] = await this.clock.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async close(): Promise<void> {
    this.clock.disconnect();
    await this.events.close();
  }
}
