import type { Queue } from 'bullmq';
import { PRIORITY } from './dispatcher.js';
import type { QueueBacklog } from '../distributed.js';

export type { QueueBacklog };

/** Seconds since a job was added (its timestamp is the adding node's clock: keep clocks in NTP sync). */
function ageS(timestamp: number | undefined, now: number): number {
  return timestamp ? Math.max(0, (now - timestamp) / 1000) : 0;
}

/**
 * Reads one queue's backlog. Every Argus job has a priority, so all waiting ones sit in BullMQ's
 * prioritized set, ordered by priority and then by arrival: the first of each priority is its
 * oldest, found by rank without reading the rest.
 */
export async function queueBacklog(queue: Queue): Promise<QueueBacklog> {
  const [perPriority, counts] = await Promise.all([
    queue.getCountsPerPriority([PRIORITY.interactive, PRIORITY.batch]),
    queue.getJobCounts('active', 'wait'),
  ]);
  const interactive = perPriority[String(PRIORITY.interactive)] ?? 0;
  const batch = perPriority[String(PRIORITY.batch)] ?? 0;
  const [firstInteractive] = interactive ? await queue.getJobs(['prioritized'], 0, 0, true) : [];
  const [firstBatch] = batch ? await queue.getJobs(['prioritized'], interactive, interactive, true) : [];
  const now = Date.now();
  return {
    queue: queue.name,
    // Jobs without a priority (none of Argus's, but an operator may add some) wait as batch work.
    waiting: { interactive, batch: batch + (counts.wait ?? 0) },
    oldestS: { interactive: ageS(firstInteractive?.timestamp, now), batch: ageS(firstBatch?.timestamp, now) },
    active: counts.active ?? 0,
  };
}
