/**
 * API keys, scopes, ownership of async jobs, per-key limits and security headers, against a real
 * server with real models. Auth-off behaviour (every other test file) stays as it was.
 */
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArgus } from '../src/app/argus.js';
import { loadConfig } from '../src/config/load.js';
import { KeyFile } from '../src/store/keys.js';
import { ARGUS_CLI, eventually, image, json, MODELS_DIR, REPO_ROOT, startServer, tempDir, type TestServer } from './helpers.js';

const INFERENCE_A = 'inference:test-key-alpha-0123456789';
const INFERENCE_B = 'test-key-bravo-0123456789'; // bare: inference scope
const secretOf = (entry: string) => entry.replace(/^(inference|admin):/, '');

function call(url: string, key: string | undefined, init: RequestInit = {}, header: 'bearer' | 'x-api-key' = 'bearer'): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set(header === 'bearer' ? 'authorization' : 'x-api-key', header === 'bearer' ? `Bearer ${key}` : key);
  return fetch(url, { ...init, headers });
}

function detectForm(): FormData {
  const form = new FormData();
  form.append('image', new Blob([image('bus.jpg')]), 'bus.jpg');
  return form;
}

describe('with API keys configured', () => {
  let server: TestServer;
  let admin: string;
  let keyFile: KeyFile;
  const A = secretOf(INFERENCE_A);
  const B = secretOf(INFERENCE_B);

  beforeAll(async () => {
    const dataDir = tempDir();
    keyFile = new KeyFile(join(dataDir, 'api-keys.json'));
    admin = keyFile.create('admin', 'ops').secret;
    server = await startServer({ dataDir, apiKeys: [INFERENCE_A, INFERENCE_B] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses requests without a key or with a wrong one (401), on API and unknown routes alike', async () => {
    for (const [key, why] of [[undefined, 'needs an API key'], ['not-a-key-at-all-123456', 'not valid']] as const) {
      const response = await call(`${server.url}/v1/models`, key);
      expect(response.status).toBe(401);
      const body = await json(response);
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toContain(why);
    }
    expect((await call(`${server.url}/v1/no-such-route`, undefined)).status).toBe(401);
    expect((await call(`${server.url}/v1/models`, A, {}, 'bearer')).status).toBe(200);
    expect((await call(`${server.url}/v1/models`, B, {}, 'x-api-key')).status).toBe(200);
  });

  it('keeps health checks and the API description public, with health details (paths, pids, counters) for keys only', async () => {
    const anonymous = await fetch(`${server.url}/healthz`);
    expect(anonymous.status).toBe(200);
    expect(await json(anonymous)).toEqual({ status: expect.stringMatching(/^(ok|degraded)$/), timestamp: expect.any(Number) });
    // A wrong key on a public route is no key: the short answer, not a 401.
    expect(await json(await call(`${server.url}/healthz`, 'not-a-key-at-all-123456'))).toEqual({ status: expect.any(String), timestamp: expect.any(Number) });
    const detailed = await json(await call(`${server.url}/healthz`, A));
    expect(detailed).toMatchObject({ status: expect.any(String), version: expect.any(String), models: expect.any(Array), workers: expect.any(Array), jobs: expect.any(Object) });
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
  });

  it('runs inference with an inference key', async () => {
    const response = await call(`${server.url}/v1/detect`, A, { method: 'POST', body: detectForm() });
    expect(response.status).toBe(200);
    expect((await json(response)).detections.length).toBeGreaterThan(0);
  });

  it('needs an admin key for admin routes (403 for an inference key) and /metrics', async () => {
    const evict = await call(`${server.url}/v1/system/evict/yolov8n`, A, { method: 'POST' });
    expect(evict.status).toBe(403);
    expect((await json(evict)).error.code).toBe('forbidden');
    expect((await call(`${server.url}/v1/system/evict/yolov8n`, admin, { method: 'POST' })).status).toBe(200);
    expect((await call(`${server.url}/metrics`, A)).status).toBe(403);
    const metrics = await call(`${server.url}/metrics`, admin);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('argus_http_requests_total');
  });

  it('shows an async job only to the key that submitted it (another key gets 404; admin sees all)', async () => {
    const form = detectForm();
    form.append('task', 'detect');
    const submitted = await call(`${server.url}/v1/jobs`, A, { method: 'POST', body: form });
    expect(submitted.status).toBe(202);
    const { id } = await json(submitted);
    const done = await eventually(async () => {
      const body = await json(await call(`${server.url}/v1/jobs/${id}`, A));
      return body.status === 'succeeded' ? body : undefined;
    });
    expect(done.result.detections.length).toBeGreaterThan(0);
    const other = await call(`${server.url}/v1/jobs/${id}`, B);
    expect(other.status).toBe(404);
    expect((await json(other)).error.code).toBe('job_not_found');
    expect((await call(`${server.url}/v1/jobs/${id}`, admin)).status).toBe(200);
    // The compatibility surface reads the same jobs under the same rule: to B the job is one it
    // does not know, which that surface answers as the original did (202, not ready), no detections.
    const seenByB = await call(`${server.url}/results/${id}`, B);
    expect(seenByB.status).toBe(202);
    expect((await json(seenByB)).detections).toBeUndefined();
    expect((await call(`${server.url}/results/${id}`, A)).status).toBe(200);
  });

  it('shows a stored file only to the key that uploaded it (another key gets 404 everywhere; admin sees all)', async () => {
    const upload = (key: string) => {
      const form = new FormData();
      form.append('file', new Blob([image('bus.jpg')]), 'bus.jpg');
      return call(`${server.url}/upload/`, key, { method: 'POST', body: form });
    };
    const mine = await upload(A);
    expect(mine.status).toBe(200);
    const { id } = (await json(mine)).files[0];
    expect((await upload(B)).status).toBe(200);

    expect((await call(`${server.url}/files/${id}`, A)).status).toBe(200);
    for (const [method, path] of [['GET', `/files/${id}`], ['GET', `/files/${id}/content`], ['POST', `/inference/${id}`], ['POST', `/files/${id}/reprocess`], ['DELETE', `/files/${id}`]]) {
      const response = await call(`${server.url}${path}`, B, { method });
      expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
      expect(response.headers.get('x-argus-error-code')).toBe('file_not_found');
    }
    const listOf = async (key: string) => (await json(await call(`${server.url}/files/`, key))).map((f: { id: number }) => f.id);
    expect(await listOf(A)).toEqual([id]);
    expect(await listOf(B)).not.toContain(id);
    expect((await listOf(admin)).length).toBe(2);
    expect((await json(await call(`${server.url}/visualization/stats`, A))).total_files).toBe(1);
    const csv = await call(`${server.url}/visualization/export/csv?include_unprocessed=true&extended=true`, B);
    expect(await csv.text()).not.toMatch(new RegExp(`,${id},image/`));
    // A batch naming another key's image reports it as not found.
    const batch = await call(`${server.url}/inference/batch`, B, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([id]) });
    expect(batch.status).toBe(400);
    expect((await json(batch)).detail).toContain(`No stored image with image_id ${id}`);
    // B's "delete all" deletes B's own image only.
    const all = await call(`${server.url}/files/`, B, { method: 'DELETE' });
    expect((await json(all)).deleted).toBe(1);
    expect(await listOf(B)).toEqual([]);
    // Still there for its owner: B's DELETEs did nothing to it.
    expect((await call(`${server.url}/files/${id}`, admin)).status).toBe(200);
  });

  it('takes keys created and revoked in the keys file without a restart, stored only as hashes', async () => {
    const { key, secret } = keyFile.create('inference', 'late');
    await eventually(async () => ((await call(`${server.url}/v1/models`, secret)).status === 200 ? true : undefined), 5_000);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(keyFile.path, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(admin);
    expect(text).toContain(key.sha256);
    keyFile.revoke(key.id);
    await eventually(async () => ((await call(`${server.url}/v1/models`, secret)).status === 401 ? true : undefined), 5_000);
  });

  it('manages keys over HTTP with an admin key (secrets shown once, never listed)', async () => {
    expect((await call(`${server.url}/v1/keys`, A)).status).toBe(403);
    const created = await call(`${server.url}/v1/keys`, admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'inference', name: 'ci' }) });
    expect(created.status).toBe(201);
    const { key, id } = await json(created);
    expect(key).toMatch(/^argus_[\w-]{43}$/);
    await eventually(async () => ((await call(`${server.url}/v1/models`, key)).status === 200 ? true : undefined), 5_000);
    const listed = await json(await call(`${server.url}/v1/keys`, admin));
    expect(listed.keys.find((k: { id: string }) => k.id === id)).toMatchObject({ name: 'ci', scope: 'inference', source: 'file' });
    expect(listed.keys.filter((k: { source: string }) => k.source === 'config')).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain(A);
    expect((await call(`${server.url}/v1/keys/${id}`, admin, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${server.url}/v1/keys/${id}`, admin, { method: 'DELETE' })).status).toBe(404);
    expect((await call(`${server.url}/v1/models`, key)).status).toBe(401);
  });

  it('sends security headers and no CORS headers by default', async () => {
    const response = await call(`${server.url}/v1/models`, A, { headers: { origin: 'https://evil.example' } });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBeTruthy();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/v1/detect`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('per-key limits', () => {
  let server: TestServer;
  const A = secretOf(INFERENCE_A);
  const B = secretOf(INFERENCE_B);

  beforeAll(async () => {
    server = await startServer({ apiKeys: [INFERENCE_A, INFERENCE_B], rateLimitPerMinute: 3, maxConcurrentPerKey: 1, corsOrigins: ['https://app.example'] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('caps requests in flight per key (429) without affecting other keys', async () => {
    // A request whose body is still arriving holds its key's only slot.
    const url = new URL(`${server.url}/v1/detect`);
    const held = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${A}`, 'content-type': 'application/json', 'content-length': '100' } });
    const heldAnswer = new Promise<number>((done) => held.on('response', (r) => { r.resume(); done(r.statusCode ?? 0); }));
    held.write('{"image": "');
    await eventually(async () => {
      const second = await call(`${server.url}/v1/models`, A);
      return second.status === 429 ? second : undefined;
    }, 5_000).then(async (second) => {
      expect(second.headers.get('retry-after')).toBe('1');
      expect((await json(second)).error.code).toBe('too_many_in_flight');
    });
    expect((await call(`${server.url}/v1/models`, B)).status).toBe(200);
    held.end('x'.repeat(89));
    expect(await heldAnswer).toBe(400);
  });

  it('limits the request rate per key with 429 and Retry-After, per key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(`${server.url}/v1/models`, B)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await call(`${server.url}/v1/models`, B);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await json(limited)).error.code).toBe('rate_limited');
    // Health checks are never limited.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers CORS preflights for configured origins only', async () => {
    const ok = await fetch(`${server.url}/v1/detect`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await fetch(`${server.url}/v1/detect`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('key changes never open the server', () => {
  let server: TestServer;
  let keyFile: KeyFile;
  let admin: { id: string; secret: string };

  beforeAll(async () => {
    const dataDir = tempDir();
    keyFile = new KeyFile(join(dataDir, 'api-keys.json'));
    const created = keyFile.create('admin', 'ops');
    admin = { id: created.key.id, secret: created.secret };
    server = await startServer({ dataDir });
  });
  afterAll(async () => {
    await server?.close();
  });

  const anonymousAnswers = async () => [
    (await fetch(`${server.url}/v1/models`)).status,
    (await fetch(`${server.url}/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'admin' }) })).status,
  ];

  it('refuses to revoke the last admin key over HTTP (409 with the reason); another admin key makes it revocable', async () => {
    const refused = await call(`${server.url}/v1/keys/${admin.id}`, admin.secret, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const body = await json(refused);
    expect(body.error.code).toBe('last_admin_key');
    expect(body.error.message).toMatch(/last admin key/);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await anonymousAnswers()).toEqual([401, 401]);
    expect((await call(`${server.url}/v1/models`, admin.secret)).status).toBe(200);

    const second = await json(await call(`${server.url}/v1/keys`, admin.secret, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'admin', name: 'second' }) }));
    expect((await call(`${server.url}/v1/keys/${admin.id}`, second.key, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${server.url}/v1/keys/${second.id}`, second.key, { method: 'DELETE' })).status).toBe(409);
    admin = { id: second.id, secret: second.key };
  });

  it('refuses it in `argus keys revoke` too (one line, exit 1) unless --force; a server whose keys all went stays closed', async () => {
    const { spawnSync } = await import('node:child_process');
    const argus = (...args: string[]) => spawnSync(process.execPath, [ARGUS_CLI, '--data-dir', server.dataDir, 'keys', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
    const refused = argus('revoke', admin.id);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/last admin key.*--force/);
    expect(keyFile.read().map((k) => k.id)).toContain(admin.id);

    expect(argus('revoke', '--force', admin.id).status).toBe(0);
    expect(keyFile.read()).toEqual([]);
    // The server has read the change (it re-reads within a second): the old key is gone, and no
    // route opened up; minting a key anonymously is refused like everything else.
    await eventually(async () => ((await call(`${server.url}/v1/models`, admin.secret)).status === 401 ? true : undefined), 5_000);
    expect(await anonymousAnswers()).toEqual([401, 401]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('argus keys (CLI)', () => {
  it('creates, lists and revokes keys in the data directory, storing only hashes', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const dataDir = tempDir();
    const argus = (...args: string[]) => execFileSync(process.execPath, [ARGUS_CLI, '--data-dir', dataDir, 'keys', ...args], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const secret = argus('create', '--scope', 'admin', '--name', 'ops').trim();
    expect(secret).toMatch(/^argus_[\w-]{43}$/);
    const listed = JSON.parse(argus('list', '--json'));
    expect(listed).toEqual([expect.objectContaining({ name: 'ops', scope: 'admin', id: expect.stringMatching(/^k_[0-9a-f]{12}$/) })]);
    expect(readFileSync(join(dataDir, 'api-keys.json'), 'utf8')).not.toContain(secret);
    // The only (so the last) admin key goes only with --force; the refusal is tested above.
    argus('revoke', '--force', listed[0].id);
    expect(JSON.parse(argus('list', '--json'))).toEqual([]);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address without keys unless insecure', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: {}, overrides: { modelsDir: MODELS_DIR, dataDir, port: 0, host: '0.0.0.0', logLevel: 'silent' } });
    const argus = await createArgus(config);
    try {
      await expect(argus.listen()).rejects.toMatchObject({ code: 'insecure_bind' });
    } finally {
      await argus.close();
    }
    const insecure = await createArgus({ ...config, insecure: true });
    try {
      const url = await insecure.listen();
      expect(url).toMatch(/^http:/);
      // Without keys, health details go to this machine only; another address gets the status.
      const port = new URL(url).port;
      expect(await json(await fetch(`http://127.0.0.1:${port}/healthz`))).toHaveProperty('workers');
      const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (external) expect(await json(await fetch(`http://${external.address}:${port}/healthz`))).toEqual({ status: expect.any(String), timestamp: expect.any(Number) });
    } finally {
      await insecure.close();
    }
    const keyed = await createArgus({ ...config, apiKeys: [INFERENCE_A] });
    try {
      expect(await keyed.listen()).toMatch(/^http:/);
    } finally {
      await keyed.close();
    }
  });
});
