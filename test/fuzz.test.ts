/**
 * Fuzzing /v1/detect with mutated real images (bit flips, truncations, header edits, spliced
 * chunks of JPEG, PNG and WebP files): every answer must be 2xx or 4xx, the server and its workers
 * must survive, and memory must come back to where it was. ARGUS_FUZZ_COUNT sets the number of
 * requests (default 2000); the mutations are seeded, so a failure can be replayed.
 */
import { readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, json, postImage, spawnServer, tempDir, type ChildServer } from './helpers.js';

const COUNT = Number(process.env.ARGUS_FUZZ_COUNT ?? 2000);
const CONCURRENCY = 4;

/** xorshift32: a seeded stream, so every run sends the same inputs. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function mutate(source: Buffer, rand: () => number): Buffer {
  const bytes = Buffer.from(source);
  const int = (n: number) => Math.floor(rand() * n);
  switch (int(5)) {
    case 0: // bit flips anywhere
      for (let i = int(20) + 1; i > 0; i--) bytes[int(bytes.length)] ^= 1 << int(8);
      return bytes;
    case 1: // truncation
      return bytes.subarray(0, int(bytes.length));
    case 2: // header edits: random bytes in the first 64 (dimensions, lengths, markers)
      for (let i = int(8) + 1; i > 0; i--) bytes[int(Math.min(64, bytes.length))] = int(256);
      return bytes;
    case 3: { // a chunk copied over another place (lengths and markers out of place)
      const from = int(bytes.length);
      const length = int(512);
      bytes.copy(bytes, int(bytes.length), from, from + length);
      return bytes;
    }
    default: // bytes inserted (everything after shifts)
      return Buffer.concat([bytes.subarray(0, int(bytes.length)), Buffer.from(Array.from({ length: int(64) + 1 }, () => int(256))), bytes.subarray(int(bytes.length))]);
  }
}

/** Resident memory of a process, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

let server: ChildServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  server = await spawnServer({ ARGUS_DATA_DIR: dataDir });
});
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fuzzing /v1/detect', () => {
  it(`answers ${COUNT} mutated images with 2xx or 4xx only, and memory comes back`, async () => {
    const small = await sharp(image('bus.jpg')).resize(320).toBuffer();
    const seeds = [
      small,
      await sharp(small).png().toBuffer(),
      await sharp(small).webp().toBuffer(),
      await sharp(image('zidane.jpg')).resize(320).jpeg({ progressive: true }).toBuffer(),
    ];
    const detect = `${server.url}/v1/detect`;
    // Warm up at the fuzzing concurrency (every worker spawned, allocators settled), then take the baseline.
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, lane) => {
      for (let i = 0; i < 10; i++) expect((await postImage(detect, seeds[(lane + i) % seeds.length])).status).toBe(200);
    }));
    const workersRss = async () => (await json(await fetch(`${server.url}/v1/system/status`))).workers.reduce((sum: number, w: { rss_mb: number }) => sum + w.rss_mb, 0);
    const baseline = { api: rssMb(server.child.pid!), workers: await workersRss() };

    const rand = random(20260514);
    const inputs = Array.from({ length: COUNT }, (_, i) => mutate(seeds[i % seeds.length], rand));
    const statuses = new Map<number, number>();
    const serverErrors: Array<{ index: number; status: number; body: string }> = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < inputs.length) {
        const index = next++;
        const response = await postImage(detect, inputs[index]);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const body = await response.text();
        if (response.status >= 500) serverErrors.push({ index, status: response.status, body: body.slice(0, 300) });
      }
    }));
    expect(serverErrors).toEqual([]);
    expect([...statuses.keys()].every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500))).toBe(true);
    // Both kinds happened: mutations that still decode are detected, the rest are refused.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.entries()].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(0);

    // Still serving, correctly, and memory is back near the baseline.
    const good = await postImage(detect, image('bus.jpg'));
    expect(good.status).toBe(200);
    expect((await json(good)).detections.filter((d: { label: string }) => d.label === 'person').length).toBe(4);
    const after = { api: rssMb(server.child.pid!), workers: await workersRss() };
    console.log(`fuzz: ${COUNT} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS api ${baseline.api.toFixed(0)} → ${after.api.toFixed(0)} MB, workers ${baseline.workers} → ${after.workers} MB`);
    expect(after.api).toBeLessThan(baseline.api + 100);
    expect(after.workers).toBeLessThan(baseline.workers * 1.5 + 50);
  }, 600_000);
});
