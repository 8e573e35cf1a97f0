/**
 * The behaviour every JobQueue must have, as one suite both implementations run (embedded SQLite
 * in embedded.conformance.test.ts, BullMQ + PostgreSQL in bullmq/job-queue.conformance.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { errors } from '../errors.js';
import type { JobHandler, JobQueue, JobRecord } from './types.js';

export interface QueueUnderTest {
  queue: JobQueue;
  /** Starts consuming with `handler` (implementations differ in what else that needs). */
  process(handler: JobHandler, concurrency: number): void;
  close(): Promise<void>;
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const finished = (queue: JobQueue, id: string) => until(async () => {
  const job = await queue.get(id);
  return job && (job.status === 'succeeded' || job.status === 'failed') ? job : undefined;
});

const spec = (overrides: Partial<JobRecord> = {}) => ({
  id: randomUUID(), task: 'detect', model: 'conformance', params: { conf: 0.5 }, inputKey: 'in.jpeg', ...overrides,
});

export function describeJobQueue(name: string, create: () => Promise<QueueUnderTest>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    let current: QueueUnderTest | undefined;
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const start = async () => (current = await create());

    it('stores a submitted job with everything it was given, queued', async () => {
      const { queue } = await start();
      const submitted = await queue.submit({ ...spec(), text: 'a prompt', owner: 'key-1' });
      expect(submitted).toMatchObject({ status: 'queued', attempts: 0, task: 'detect', model: 'conformance', text: 'a prompt', owner: 'key-1', inputKey: 'in.jpeg' });
      const got = await queue.get(submitted.id);
      expect(got).toMatchObject({ id: submitted.id, status: 'queued', params: { conf: 0.5 } });
      expect(got!.created_at).toBeGreaterThan(Date.now() - 60_000);
      expect(await queue.get('no-such-job')).toBeUndefined();
    });

    it('runs a job once and records its result', async () => {
      const under = await start();
      const calls: string[] = [];
      under.process(async (job) => {
        calls.push(job.id);
        return { answer: 42, task: job.task };
      }, 1);
      const { id } = await under.queue.submit(spec());
      const done = await finished(under.queue, id);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { answer: 42, task: 'detect' } });
      expect(done.finished_at!).toBeGreaterThanOrEqual(done.started_at!);
      expect(calls).toEqual([id]);
    });

    it('records a failing job with its reason', async () => {
      const under = await start();
      under.process(async () => {
        throw errors.invalidImage('test pixels');
      }, 1);
      const { id } = await under.queue.submit(spec());
      const done = await finished(under.queue, id);
      expect(done).toMatchObject({ status: 'failed', error: { code: 'invalid_image', message: expect.stringContaining('test pixels') } });
      expect(done.result).toBeUndefined();
    });

    it('runs every job of a burst exactly once, at most `concurrency` at a time', async () => {
      const under = await start();
      const calls = new Map<string, number>();
      let running = 0;
      let peak = 0;
      under.process(async (job) => {
        calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return { ok: true };
      }, 2);
      const ids = await Promise.all(Array.from({ length: 20 }, async () => (await under.queue.submit(spec())).id));
      for (const id of ids) expect((await finished(under.queue, id)).status).toBe('succeeded');
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      expect(calls.size).toBe(20);
      expect(peak).toBeLessThanOrEqual(2);
      const counts = await under.queue.counts();
      expect(counts.succeeded).toBeGreaterThanOrEqual(20);
      expect(counts.queued + counts.running).toBe(0);
    });

    it('records the progress a running job reports, and keeps it after the job ends', async () => {
      const under = await start();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      under.process(async (job) => {
        await under.queue.setProgress!(job.id, { done: 1, total: 2 });
        await gate;
        return { ok: true };
      }, 1);
      const { id } = await under.queue.submit(spec());
      const running = await until(async () => {
        const job = await under.queue.get(id);
        return job?.progress ? job : undefined;
      });
      expect(running).toMatchObject({ status: 'running', progress: { done: 1, total: 2 } });
      release();
      expect(await finished(under.queue, id)).toMatchObject({ status: 'succeeded', progress: { done: 1, total: 2 } });
      // A job that is not running is left alone.
      await under.queue.setProgress!(id, { done: 9 });
      expect((await under.queue.get(id))?.progress).toEqual({ done: 1, total: 2 });
    });
  });
}
