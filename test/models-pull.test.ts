/**
 * Pulls against a real HTTP server on loopback serving real model files from ARGUS_MODELS_DIR:
 * resume, restart, checksum refusal, redirects, timeouts, a Hugging Face-style Hub, removal.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../src/models/catalog.js';
import { parseManifest, type Manifest } from '../src/models/manifest.js';
import type { PullProgress } from '../src/models/progress.js';
import { ensureInstalled, pullModel } from '../src/models/pull.js';
import { removeModel } from '../src/models/remove.js';
import { MODELS_DIR, tempDir } from './helpers.js';
import { startModelServer, type ModelServer } from './model-server.js';

const YOLO = readFileSync(join(MODELS_DIR, 'detect/yolov8n_int8.onnx'));
const YOLO_SHA = createHash('sha256').update(YOLO).digest('hex');
const YUNET = readFileSync(join(MODELS_DIR, 'face/yunet_n_dynamic.onnx'));
const YUNET_SHA = createHash('sha256').update(YUNET).digest('hex');
const HALF = 1_000_000;

let server: ModelServer;
let modelsDir: string;

beforeAll(async () => {
  server = await startModelServer();
});
afterAll(() => server.close());
beforeEach(() => {
  modelsDir = tempDir('argus-pull-');
  server.requests.length = 0;
  server.routes.clear();
});
afterEach(() => rmSync(modelsDir, { recursive: true, force: true }));

function urlModel(path: string, sha256 = YOLO_SHA): Manifest {
  return parseManifest(
    { alias: 'yolov8n-url', task: 'detect', runtime: 'onnx', licence: 'AGPL-3.0', source: { type: 'url', url: `${server.url}${path}`, sha256, path: 'downloads/yolov8n.onnx' } },
    'test',
  );
}

const dest = () => join(modelsDir, 'downloads/yolov8n.onnx');
const partial = () => `${dest()}.partial`;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('pulling a url source', () => {
  it('downloads the real file, byte-identical, reporting progress up to the total', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO, chunkBytes: 256 * 1024 });
    const seen: PullProgress[] = [];
    const result = await pullModel(urlModel('/yolo.onnx'), { modelsDir, onProgress: (p) => seen.push(p) });
    expect(result).toMatchObject({ path: dest(), alreadyInstalled: false, files: [{ bytes: YOLO.length, sha256: YOLO_SHA, resumedFrom: 0 }] });
    expect(readFileSync(dest()).equals(YOLO)).toBe(true);
    expect(existsSync(partial())).toBe(false);
    expect(seen.at(-1)).toMatchObject({ label: 'yolov8n-url', bytesDone: YOLO.length, bytesTotal: YOLO.length, done: true });

    // A second pull hashes what is there and transfers nothing.
    const again = await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    expect(again.alreadyInstalled).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('resumes an interrupted download with a Range request and ends with the right sha256', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO, cutAfter: HALF });
    const first = pullModel(urlModel('/yolo.onnx'), { modelsDir });
    await expect(first).rejects.toMatchObject({ code: 'model_pull_failed', message: expect.stringContaining('the next pull resumes from there') });
    expect(existsSync(dest())).toBe(false);
    // What reached the disk before the cut: at most what the server sent (bytes still in flight
    // when the connection dropped may be lost), and the next pull asks for the rest of it.
    const kept = statSync(partial()).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(HALF);

    const result = await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(result.files[0]).toMatchObject({ resumedFrom: kept, bytes: YOLO.length, sha256: YOLO_SHA });
    expect(sha(dest())).toBe(YOLO_SHA);
    expect(existsSync(partial())).toBe(false);
  });

  it('restarts cleanly when the server ignores Range and answers 200', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO, ignoreRange: true });
    writeJunk(partial(), 1000);
    const result = await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=1000-']);
    expect(result.files[0].resumedFrom).toBe(0);
    expect(readFileSync(dest()).equals(YOLO)).toBe(true);
  });

  it('restarts cleanly when the partial is longer than the file (416)', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    writeJunk(partial(), YOLO.length + 100);
    await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${YOLO.length + 100}-`, undefined]);
    expect(readFileSync(dest()).equals(YOLO)).toBe(true);
  });

  it('restarts once from scratch when resumed bytes belong to another file', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    writeJunk(partial(), HALF);
    const result = await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${HALF}-`, undefined]);
    expect(result.files[0]).toMatchObject({ resumedFrom: 0, sha256: YOLO_SHA });
  });

  it('refuses a file whose sha256 does not match, naming both hashes, and deletes it', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    const wrong = 'ab'.repeat(32);
    const error = await pullModel(urlModel('/yolo.onnx', wrong), { modelsDir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'model_checksum_mismatch', status: 502 });
    expect((error as Error).message).toContain(wrong);
    expect((error as Error).message).toContain(YOLO_SHA);
    expect(existsSync(dest())).toBe(false);
    expect(existsSync(partial())).toBe(false);
  });

  it('follows up to 5 redirects and refuses a sixth', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    for (let i = 1; i <= 6; i++) server.routes.set(`/hop${i}`, { redirect: i === 6 ? '/yolo.onnx' : `/hop${i + 1}` });
    await pullModel(urlModel('/hop2'), { modelsDir });
    expect(sha(dest())).toBe(YOLO_SHA);
    rmSync(dest());
    await expect(pullModel(urlModel('/hop1'), { modelsDir })).rejects.toMatchObject({ code: 'model_pull_failed', message: expect.stringContaining('more than 5 redirects') });
  });

  it('gives up on a stalled transfer after the idle timeout and keeps the bytes for a resume', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO, stallAfter: 65536 });
    const started = Date.now();
    await expect(pullModel(urlModel('/yolo.onnx'), { modelsDir, idleTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'model_pull_failed',
      message: expect.stringContaining('no data from 127.0.0.1'),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(statSync(partial()).size).toBe(65536);
  });

  it('says clearly when nothing listens', async () => {
    const closed = await startModelServer();
    await closed.close();
    const manifest = parseManifest({ ...urlModel('/x'), source: { type: 'url', url: `${closed.url}/x`, sha256: YOLO_SHA, path: 'x.onnx' } }, 'test');
    await expect(pullModel(manifest, { modelsDir })).rejects.toMatchObject({ code: 'model_pull_failed', message: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('pulling a Hugging Face source', () => {
  const config = Buffer.from(JSON.stringify({ model_type: 'tiny' }));
  const preprocessor = Buffer.from(JSON.stringify({ size: 320 }));

  function serveTinyRepo(yunetSha = YUNET_SHA) {
    server.routes.set('/api/models/argus-test/tiny/revision/main', {
      json: {
        id: 'argus-test/tiny',
        siblings: [
          { rfilename: '.gitattributes', size: 10 },
          { rfilename: 'config.json', size: config.length },
          { rfilename: 'onnx/model.onnx', size: YUNET.length, lfs: { sha256: yunetSha, size: YUNET.length } },
          { rfilename: 'preprocessor_config.json', size: preprocessor.length },
        ],
      },
    });
    server.routes.set('/argus-test/tiny/resolve/main/config.json', { body: config });
    server.routes.set('/argus-test/tiny/resolve/main/preprocessor_config.json', { body: preprocessor });
    // The Hub answers LFS files with a redirect to its CDN.
    server.routes.set('/argus-test/tiny/resolve/main/onnx/model.onnx', { redirect: '/cdn/yunet' });
    server.routes.set('/cdn/yunet', { body: YUNET });
  }

  function hfModel(files?: string[]): Manifest {
    return parseManifest({ alias: 'tiny-hf', task: 'detect', runtime: 'transformers', licence: 'MIT', source: { type: 'huggingface', id: 'argus-test/tiny', files } }, 'test');
  }

  it('lists the repo through the Hub API and pulls every file, config.json last', async () => {
    serveTinyRepo();
    const catalog = new Catalog({ modelsDir });
    expect(catalog.availability(hfModel()).available).toBe(false);
    const result = await pullModel(hfModel(), { modelsDir, huggingfaceEndpoint: server.url });
    const dir = join(modelsDir, 'huggingface/argus-test/tiny');
    expect(result.path).toBe(dir);
    expect(readFileSync(join(dir, 'onnx/model.onnx')).equals(YUNET)).toBe(true);
    expect(readFileSync(join(dir, 'config.json')).equals(config)).toBe(true);
    expect(existsSync(join(dir, '.gitattributes'))).toBe(false);
    const fetched = server.requests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.split('/main/')[1]);
    expect(fetched.at(-1)).toBe('config.json');
    expect(catalog.availability(hfModel())).toEqual({ available: true, path: dir });
  });

  it('pulls only the listed files, without asking the Hub API', async () => {
    serveTinyRepo();
    await pullModel(hfModel(['onnx/model.onnx', 'config.json']), { modelsDir, huggingfaceEndpoint: server.url });
    expect(server.requests.some((r) => r.path.startsWith('/api/'))).toBe(false);
    expect(readdirSync(join(modelsDir, 'huggingface/argus-test/tiny')).sort()).toEqual(['.argus-pull.json', 'config.json', 'onnx']);
    expect(new Catalog({ modelsDir }).availability(hfModel(['onnx/model.onnx', 'config.json'])).available).toBe(true);
  });

  it('refuses a weights file whose sha256 differs from the one the Hub lists', async () => {
    serveTinyRepo('cd'.repeat(32));
    await expect(pullModel(hfModel(), { modelsDir, huggingfaceEndpoint: server.url })).rejects.toMatchObject({ code: 'model_checksum_mismatch' });
    expect(new Catalog({ modelsDir }).availability(hfModel()).available).toBe(false);
  });

  it('removes the pulled folder and its empty owner folder', async () => {
    serveTinyRepo();
    await pullModel(hfModel(), { modelsDir, huggingfaceEndpoint: server.url });
    const removed = removeModel(new Catalog({ modelsDir }), hfModel());
    expect(removed.folder).toBe(join(modelsDir, 'huggingface/argus-test/tiny'));
    expect(removed.deleted.map((f) => f.path.split('/tiny/')[1]).sort()).toEqual(['.argus-pull.json', 'config.json', 'onnx/model.onnx', 'preprocessor_config.json']);
    expect(readdirSync(join(modelsDir, 'huggingface'))).toEqual([]);
  });
});

describe('ensureInstalled (pull on first use)', () => {
  it('refuses with the pull hint when pulls are not allowed', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    const catalog = new Catalog({ modelsDir });
    await expect(ensureInstalled(urlModel('/yolo.onnx'), { catalog, allowPulls: false })).rejects.toMatchObject({
      code: 'model_unavailable',
      message: expect.stringMatching(/argus models pull yolov8n-url.*ARGUS_ALLOW_PULLS=true/),
    });
    expect(server.requests).toHaveLength(0);
  });

  it('pulls once for concurrent first requests when pulls are allowed', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO, chunkBytes: 512 * 1024, chunkDelayMs: 5 });
    const catalog = new Catalog({ modelsDir });
    const all = await Promise.all([1, 2, 3].map(() => ensureInstalled(urlModel('/yolo.onnx'), { catalog, allowPulls: true })));
    expect(all.map((a) => a.path)).toEqual([dest(), dest(), dest()]);
    expect(server.requests).toHaveLength(1);
    expect(sha(dest())).toBe(YOLO_SHA);
  });
});

describe('removing a model', () => {
  it('deletes a url download and its partial, but a file source only with force', async () => {
    server.routes.set('/yolo.onnx', { body: YOLO });
    await pullModel(urlModel('/yolo.onnx'), { modelsDir });
    writeJunk(partial(), 10);
    const catalog = new Catalog({ modelsDir });
    expect(removeModel(catalog, urlModel('/yolo.onnx')).deleted.map((f) => f.path)).toEqual([dest(), partial()]);
    expect(existsSync(dest()) || existsSync(partial())).toBe(false);

    writeJunk(join(modelsDir, 'detect/yolov8n_int8.onnx'), 10);
    const own = catalog.require('yolov8n');
    expect(() => removeModel(catalog, own)).toThrow(expect.objectContaining({ code: 'model_not_removable', message: expect.stringContaining('--force') }));
    expect(existsSync(join(modelsDir, 'detect/yolov8n_int8.onnx'))).toBe(true);
    expect(removeModel(catalog, own, { force: true }).deleted).toHaveLength(1);
    expect(existsSync(join(modelsDir, 'detect/yolov8n_int8.onnx'))).toBe(false);
  });
});

function writeJunk(path: string, bytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 7));
}
