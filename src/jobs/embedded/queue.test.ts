import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { openDatabase, type SqliteDatabase } from '../../store/sqlite/database.js';
import { EmbeddedQueue, type EmbeddedQueueOptions } from './queue.js';
import type { JobRecord, JobSpec } from '../types.js';

/** Polls until `check` returns a value other than undefined. */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const spec = (id: string, extra: Partial<JobSpec> = {}): JobSpec => ({
  id, task: 'detect', model: 'yolov8n', params: { conf: 0.25 }, inputKey: `uploads/${id}`, ...extra,
});

let dir: string;
let dbs: SqliteDatabase[];
let queues: EmbeddedQueue[];
let cleanups: Array<() => void>;
let errorsSeen: unknown[];

function open(): SqliteDatabase {
  const db = openDatabase(join(dir, 'db.sqlite'));
  dbs.push(db);
  return db;
}

function queue(db: SqliteDatabase, options: Partial<EmbeddedQueueOptions> = {}): EmbeddedQueue {
  const q = new EmbeddedQueue(db, { leaseMs: 30_000, onError: (e) => errorsSeen.push(e), ...options });
  queues.push(q);
  return q;
}

async function settled(q: EmbeddedQueue, id: string): Promise<JobRecord> {
  return eventually(async () => {
    const job = await q.get(id);
    return job && (job.status === 'succeeded' || job.status === 'failed') ? job : undefined;
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'argus-queue-test-'));
  dbs = [];
  queues = [];
  cleanups = [];
  errorsSeen = [];
});

afterEach(async () => {
  for (const q of queues) await q.close();
  for (const cleanup of cleanups) cleanup();
  await new Promise((r) => setTimeout(r, 20));
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EmbeddedQueue', () => {
  it('stores a submitted job as queued', async () => {
    const q = queue(open());
    const before = Date.now();
    const record = await q.submit(spec('j1', { owner: 'key-1' }));
    expect(record).toMatchObject({
      id: 'j1', task: 'detect', model: 'yolov8n', params: { conf: 0.25 }, inputKey: 'uploads/j1',
      owner: 'key-1', status: 'queued', attempts: 0, result: undefined, error: undefined, started_at: undefined,
    });
    expect(record.created_at).toBeGreaterThanOrEqual(before);
    expect(await q.get('j1')).toEqual(record);
    expect(await q.get('nope')).toBeUndefined();
    expect((await q.submit(spec('j2', { params: undefined }))).params).toEqual({});
    expect((await q.get('j2'))!.owner).toBe('');
  });

  it('runs a job once and records its result', async () => {
    const finished: JobRecord[] = [];
    const q = queue(open(), { onFinished: (job) => finished.push(job) });
    const seen: JobRecord[] = [];
    q.process(async (job) => {
      seen.push(job);
      return { detections: [{ label: 'bus', confidence: 0.9 }] };
    }, { concurrency: 1 });
    await q.submit(spec('j1'));
    const job = await settled(q, 'j1');
    expect(job.status).toBe('succeeded');
    expect(job.result).toEqual({ detections: [{ label: 'bus', confidence: 0.9 }] });
    expect(job.error).toBeUndefined();
    expect(job.attempts).toBe(1);
    expect(job.started_at).toBeGreaterThanOrEqual(job.created_at);
    expect(job.finished_at).toBeGreaterThanOrEqual(job.started_at!);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: 'j1', status: 'running', attempts: 1, params: { conf: 0.25 } });
    await eventually(() => (finished.length === 1 ? true : undefined));
    expect(finished[0]).toEqual(job);
  });

  it('fails a job with the ArgusError its handler throws', async () => {
    const q = queue(open());
    q.process(async (job) => {
      if (job.id === 'bad') throw errors.invalidImage('truncated');
      throw new Error('boom');
    }, { concurrency: 1 });
    await q.submit(spec('bad'));
    await q.submit(spec('crash'));
    const bad = await settled(q, 'bad');
    expect(bad.status).toBe('failed');
    expect(bad.error).toEqual({ code: 'invalid_image', message: 'The image could not be decoded: truncated' });
    expect(bad.result).toBeUndefined();
    expect(bad.attempts).toBe(1);
    const crash = await settled(q, 'crash');
    expect(crash.error).toEqual({ code: 'internal_error', message: 'boom' });
  });

  it('never runs more jobs at once than its concurrency', async () => {
    const q = queue(open());
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    q.process(async (job) => {
      started.push(job.id);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 40));
      running--;
      return job.id;
    }, { concurrency: 2 });
    for (let i = 0; i < 5; i++) await q.submit(spec(`j${i}`));
    for (let i = 0; i < 5; i++) expect((await settled(q, `j${i}`)).result).toBe(`j${i}`);
    expect(peak).toBe(2);
    expect(started).toEqual(['j0', 'j1', 'j2', 'j3', 'j4']);
    expect(await q.counts()).toEqual({ queued: 0, running: 0, succeeded: 5, failed: 0 });
  });

  it('hands an expired job to another runner and records only that result', async () => {
    const leaseMs = 400;
    const finished: string[] = [];
    const onFinished = (job: JobRecord) => finished.push(`${job.id}:${JSON.stringify(job.result)}`);
    const first = queue(open(), { leaseMs, onFinished });
    const hung = deferred<unknown>();
    cleanups.push(() => hung.resolve('cleanup'));
    let firstCalls = 0;
    first.process(async () => {
      firstCalls++;
      return hung.promise;
    }, { concurrency: 1 });
    await first.submit(spec('j1'));
    await eventually(async () => ((await first.get('j1'))!.status === 'running' ? true : undefined));

    // A second runner on its own connection, as another process would have.
    const second = queue(open(), { leaseMs, onFinished });
    let secondCalls = 0;
    second.process(async () => {
      secondCalls++;
      return 'second';
    }, { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 1.25 * leaseMs)); // the first runner keeps renewing: nothing moves
    expect((await second.get('j1'))!.status).toBe('running');
    expect(secondCalls).toBe(0);

    expect(second.requeueExpired(Date.now() + leaseMs + 1)).toBe(1);
    const done = await settled(second, 'j1');
    expect(done).toMatchObject({ status: 'succeeded', result: 'second', attempts: 2 });

    hung.resolve('first'); // the first runner comes back late
    await new Promise((r) => setTimeout(r, 50));
    expect(await second.get('j1')).toEqual(done);
    expect([firstCalls, secondCalls]).toEqual([1, 1]);
    expect(finished).toEqual(['j1:"second"']);
    expect(errorsSeen).toEqual([]);
  });

  it('takes over jobs left running at once when it is the exclusive consumer', async () => {
    const dead = queue(open());
    const hung = deferred<unknown>();
    cleanups.push(() => hung.resolve('cleanup'));
    dead.process(() => hung.promise, { concurrency: 1 });
    await dead.submit(spec('j1'));
    await eventually(async () => ((await dead.get('j1'))!.status === 'running' ? true : undefined));

    const shared = queue(open());
    shared.process(async () => 'shared', { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await shared.get('j1'))!.status).toBe('running'); // a live lease is respected
    await shared.close();

    const owner = queue(open());
    owner.process(async () => 'owner', { concurrency: 1, exclusive: true });
    expect(await settled(owner, 'j1')).toMatchObject({ status: 'succeeded', result: 'owner', attempts: 2 });
    hung.resolve('dead runner');
    await new Promise((r) => setTimeout(r, 50));
    expect((await owner.get('j1'))!.result).toBe('owner');
  });

  it('fails a job whose runners stopped maxAttempts times with job_abandoned', async () => {
    const leaseMs = 200;
    const first = queue(open(), { leaseMs });
    const hung = deferred<unknown>();
    cleanups.push(() => hung.resolve('cleanup'));
    first.process(() => hung.promise, { concurrency: 1 });
    await first.submit(spec('j1'));
    await eventually(async () => ((await first.get('j1'))!.status === 'running' ? true : undefined));

    const finished: JobRecord[] = [];
    const second = queue(open(), { leaseMs, maxAttempts: 1, onFinished: (job) => finished.push(job) });
    expect(second.requeueExpired(Date.now() + leaseMs + 1)).toBe(0);
    const job = (await second.get('j1'))!;
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error!.code).toBe('job_abandoned');
    expect(job.error!.message).toBe('The job was started 1 times and its runner stopped each time; it will not be retried.');
    expect(finished.map((j) => j.id)).toEqual(['j1']);

    hung.resolve('late');
    await new Promise((r) => setTimeout(r, 50));
    expect(await second.get('j1')).toEqual(job);
  });

  it('hands running jobs back to the queue on close', async () => {
    const db = open();
    const q = queue(db);
    const hung = deferred<unknown>();
    cleanups.push(() => hung.resolve('cleanup'));
    q.process(() => hung.promise, { concurrency: 2 });
    for (const id of ['a', 'b', 'c']) await q.submit(spec(id));
    await eventually(async () => ((await q.counts()).running === 2 ? true : undefined));
    expect(await q.counts()).toEqual({ queued: 1, running: 2, succeeded: 0, failed: 0 });

    await q.close();
    expect(await q.counts()).toEqual({ queued: 3, running: 0, succeeded: 0, failed: 0 });
    expect((await q.get('a'))!).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await q.get('c'))!).toMatchObject({ status: 'queued', attempts: 0 });
    hung.resolve('too late');
    await new Promise((r) => setTimeout(r, 20));
    expect((await q.get('a'))!.status).toBe('queued');

    // The next start runs them.
    const next = queue(db);
    next.process(async (job) => `ran ${job.id}`, { concurrency: 2 });
    expect(await settled(next, 'a')).toMatchObject({ status: 'succeeded', result: 'ran a', attempts: 2 });
    expect(await settled(next, 'c')).toMatchObject({ status: 'succeeded', result: 'ran c', attempts: 1 });
  });

  it('lets running jobs finish within the close grace period', async () => {
    const q = queue(open());
    q.process(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return 'done';
    }, { concurrency: 1 });
    await q.submit(spec('j1'));
    await eventually(async () => ((await q.get('j1'))!.status === 'running' ? true : undefined));
    await q.close(2000);
    expect(await q.get('j1')).toMatchObject({ status: 'succeeded', result: 'done' });
  });

  it('hands a job back, without failing it or spinning, when its handler reports shutting_down', async () => {
    const q = queue(open());
    let calls = 0;
    q.process(async () => {
      calls++;
      throw errors.shuttingDown();
    }, { concurrency: 1 });
    await q.submit(spec('j1'));
    await eventually(() => (calls >= 1 ? true : undefined));
    // Timers still fire (the event loop is not starved) and the job was not retried at once.
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    expect(await q.get('j1')).toMatchObject({ status: 'queued', attempts: 1, error: undefined, result: undefined });
    await q.close();
    expect(await q.counts()).toEqual({ queued: 1, running: 0, succeeded: 0, failed: 0 });
  });

  it('counts jobs by state', async () => {
    const q = queue(open());
    expect(await q.counts()).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0 });
    const hung = deferred<unknown>();
    cleanups.push(() => hung.resolve('cleanup'));
    q.process(async (job) => {
      if (job.id === 'ok') return 1;
      if (job.id === 'bad') throw errors.badRequest('no');
      return hung.promise;
    }, { concurrency: 2 });
    for (const id of ['ok', 'bad', 'h1', 'h2', 'h3']) await q.submit(spec(id));
    await settled(q, 'ok');
    await settled(q, 'bad');
    await eventually(async () => ((await q.counts()).running === 2 ? true : undefined));
    expect(await q.counts()).toEqual({ queued: 1, running: 2, succeeded: 1, failed: 1 });
    expect((await q.get('h3'))!.status).toBe('queued');
  });
});
