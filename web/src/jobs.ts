import { useEffect, useState } from 'preact/hooks';
import { api, type JobView } from './api';

/**
 * Async jobs this page has seen (submitted from the playground, or announced on GET /v1/events),
 * kept across page changes so a job submitted in the playground is still followed in History.
 * Argus has no job listing, so jobs submitted elsewhere appear from their first state change.
 */
const jobs = new Map<string, JobView>();
const listeners = new Set<() => void>();
const KEEP = 20;

const changed = () => {
  for (const listener of listeners) listener();
};

/** Records a job's latest state (from a submit answer, an event or a fetch). */
export function trackJob(job: JobView): void {
  const known = jobs.get(job.id);
  jobs.set(job.id, { ...known, ...job, result: undefined });
  // Oldest first in insertion order: drop the oldest finished ones past the limit.
  for (const [id, entry] of jobs) {
    if (jobs.size <= KEEP) break;
    if (entry.status === 'succeeded' || entry.status === 'failed') jobs.delete(id);
  }
  changed();
}

export const isActive = (job: JobView) => job.status === 'queued' || job.status === 'running';

/** Re-reads the jobs still in flight (events sent while no page listened are not replayed). */
export async function refreshActiveJobs(): Promise<void> {
  await Promise.all([...jobs.values()].filter(isActive).map((job) => api<JobView>(`/v1/jobs/${encodeURIComponent(job.id)}`).then(trackJob, () => undefined)));
}

/** The tracked jobs, newest first; re-renders the caller when one changes. */
export function useTrackedJobs(): JobView[] {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return [...jobs.values()].reverse();
}
