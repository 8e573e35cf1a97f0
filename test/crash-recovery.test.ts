import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, spawnServer, tempDir, type ChildServer } from './helpers.js';

const dataDir = tempDir('argus-crash-');
const servers: ChildServer[] = [];

afterAll(() => {
  for (const s of servers) s.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kill -9 with jobs pending and running', () => {
  it('completes every accepted job exactly once after a restart', async () => {
    // One job at a time, so most are still queued when the server dies.
    const env = { ARGUS_DATA_DIR: dataDir, ARGUS_JOB_CONCURRENCY: '1' };
    const first = await spawnServer(env);
    servers.push(first);

    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await postImage(`${first.url}/predict`, image(i % 2 ? 'bus.jpg' : 'zidane.jpg'));
      expect(response.status).toBe(202);
      ids.push((await json(response)).inference_id);
    }
    // Wait until work is really under way: a job running and at least one finished.
    const health = await eventually(async () => {
      const h = await json(await fetch(`${first.url}/healthz`));
      return h.jobs.running > 0 && h.jobs.succeeded > 0 ? h : undefined;
    }, 60_000, 20);
    const workerPids: number[] = health.workers.map((w: { pid: number }) => w.pid);
    expect(workerPids.length).toBeGreaterThan(0);
    // Freeze the model workers, so a job is certainly running (claimed, unfinished) when the kill
    // lands and nothing finishes between the reads below and the kill, on a busy machine or a fast one.
    for (const pid of workerPids) process.kill(pid, 'SIGSTOP');
    await eventually(async () => ((await json(await fetch(`${first.url}/healthz`))).jobs.running > 0 ? true : undefined), 30_000, 20);
    // Results recorded before the crash; after the restart they must come back unchanged.
    const before = new Map<string, unknown>();
    for (const id of ids) {
      const job = await json(await fetch(`${first.url}/v1/jobs/${id}`));
      if (job.status === 'succeeded') before.set(id, job.result);
    }
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(ids.length);

    first.child.kill('SIGKILL');
    await first.exited;
    for (const pid of workerPids) process.kill(pid, 'SIGCONT');
    // Its workers notice the parent is gone and exit: no orphans holding model memory.
    await eventually(async () => (workerPids.every((pid) => !alive(pid)) ? true : undefined), 10_000);

    const second = await spawnServer(env);
    servers.push(second);
    for (const id of ids) {
      const body = await eventually(async () => {
        const r = await fetch(`${second.url}/results/${id}`);
        return r.status === 200 ? json(r) : undefined;
      }, 90_000, 200);
      expect(body.inference_id).toBe(id);
      expect(body.detections.length).toBeGreaterThan(0);
    }

    // Exactly once: every job succeeded, and none finished before the crash was run again.
    for (const id of ids) {
      const job = await json(await fetch(`${second.url}/v1/jobs/${id}`));
      expect(job.status).toBe('succeeded');
      expect(job.result.id).toBe(id);
      if (before.has(id)) expect(job.result).toEqual(before.get(id));
    }
    // The job that was running when the server died ran again; the database says so.
    const attempts = execFileSync('node', ['-e', `
      const db = require('better-sqlite3')(process.argv[1], { readonly: true });
      console.log(JSON.stringify(db.prepare('SELECT attempts FROM jobs').pluck().all()));
    `, `${dataDir}/argus.db`]).toString();
    const counts: number[] = JSON.parse(attempts);
    expect(counts).toHaveLength(12);
    expect(counts.filter((a) => a === 2).length).toBeGreaterThanOrEqual(1);
    expect(counts.every((a) => a === 1 || a === 2)).toBe(true);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);
});
