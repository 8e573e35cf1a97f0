/**
 * Causing node faults on purpose, at a known moment: freeze a worker node's model processes so a
 * request it takes stays in the middle, wait until the node has claimed a known request, then kill
 * or freeze it. No timing luck: the fault always lands on a request in flight.
 */
import { Queue } from 'bullmq';
import { eventually } from './helpers.js';

export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Waits until worker node `nodeId` holds (BullMQ: active, processedBy) a sync request of
 * `model`'s queue; returns its job id.
 */
export async function heldRequest(redisUrl: string, prefix: string, model: string, nodeId: string, timeoutMs = 60_000): Promise<string> {
  const queue = new Queue(`m.${model}`, { connection: { url: redisUrl }, prefix });
  try {
    return await eventually(async () => {
      const active = await queue.getJobs(['active']);
      return active.find((j) => j.name === 'request' && j.processedBy === nodeId)?.id;
    }, timeoutMs, 50);
  } finally {
    await queue.close();
  }
}

/** A promise's outcome with the time it took from `since` (ms). */
export async function timed<T>(work: Promise<T>, since = Date.now()): Promise<{ value: T; ms: number }> {
  const value = await work;
  return { value, ms: Date.now() - since };
}
