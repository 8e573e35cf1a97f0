/** `argus models list | info | pull | rm` as a user runs them: a child process, a real server on loopback, a temp models dir. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGUS_CLI, MODELS_DIR, REPO_ROOT, tempDir } from './helpers.js';
import { startModelServer, type ModelServer } from './model-server.js';

const run = promisify(execFile);
const YOLO = readFileSync(join(MODELS_DIR, 'detect/yolov8n_int8.onnx'));
const YOLO_SHA = createHash('sha256').update(YOLO).digest('hex');

let server: ModelServer;
let modelsDir: string;

beforeAll(async () => {
  // A slow link (64 kB every 15 ms, about a second in all) so progress lines have time to appear.
  server = await startModelServer({ '/yolo.onnx': { body: YOLO, chunkBytes: 64 * 1024, chunkDelayMs: 15 } });
  modelsDir = tempDir('argus-cli-models-');
  const manifest = (alias: string, sha256: string) => ({
    alias,
    task: 'detect',
    runtime: 'onnx',
    licence: 'AGPL-3.0',
    description: 'YOLOv8n served from a test server',
    source: { type: 'url', url: `${server.url}/yolo.onnx`, sha256, path: `downloads/${alias}.onnx` },
    input: { width: 640, height: 640 },
  });
  writeFileSync(join(modelsDir, 'yolov8n-url.json'), JSON.stringify(manifest('yolov8n-url', YOLO_SHA)));
  writeFileSync(join(modelsDir, 'yolov8n-bad.json'), JSON.stringify(manifest('yolov8n-bad', '0'.repeat(64))));
  // A Hugging Face-style repo on the same server, reached through ARGUS_HUGGINGFACE_ENDPOINT.
  server.routes.set('/api/models/argus-test/tiny/revision/main', {
    json: { siblings: [{ rfilename: 'config.json' }, { rfilename: 'onnx/model.onnx', size: YOLO.length, lfs: { sha256: YOLO_SHA, size: YOLO.length } }] },
  });
  server.routes.set('/argus-test/tiny/resolve/main/config.json', { body: Buffer.from('{"model_type":"tiny"}') });
  server.routes.set('/argus-test/tiny/resolve/main/onnx/model.onnx', { body: YOLO });
  writeFileSync(join(modelsDir, 'tiny-hf.json'), JSON.stringify({
    alias: 'tiny-hf', task: 'detect', runtime: 'transformers', licence: 'CC-BY-NC-4.0', source: { type: 'huggingface', id: 'argus-test/tiny' },
  }));
});
afterAll(async () => {
  await server.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

/** Runs argus with the temp models dir; resolves with the exit code instead of rejecting. */
async function argus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ARGUS_CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ARGUS_MODELS_DIR: modelsDir, ARGUS_HUGGINGFACE_ENDPOINT: server.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('argus models', () => {
  it('pull prints plain progress lines when stdout is not a terminal, and installs the verified file', async () => {
    const { code, stdout, stderr } = await argus('models', 'pull', 'yolov8n-url');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toContain('\r');
    expect(stdout).toMatch(/^yolov8n-url: \d+\.\d\/3\.5 MB [\d.]+ [kMG]?B\/s ETA \d+ s$/m);
    expect(stdout).toMatch(/^yolov8n-url: 3\.5\/3\.5 MB [\d.]+ [kMG]?B\/s done$/m);
    expect(stdout).toContain(`installed yolov8n-url at ${join(modelsDir, 'downloads/yolov8n-url.onnx')} (3.5 MB, sha256 ${YOLO_SHA})`);
    expect(stdout).toMatch(/^! AGPL-3\.0: serving this model over a network/m);
    expect(readFileSync(join(modelsDir, 'downloads/yolov8n-url.onnx')).equals(YOLO)).toBe(true);
  });

  it('info shows source, path, size, the installed sha256 and the licence warning', async () => {
    const { code, stdout } = await argus('models', 'info', 'yolov8n-url');
    expect(code).toBe(0);
    expect(stdout).toContain(`source:      url ${server.url}/yolo.onnx (sha256 ${YOLO_SHA})`);
    expect(stdout).toMatch(/^installed:\s+yes$/m);
    expect(stdout).toContain(`path:        ${join(modelsDir, 'downloads/yolov8n-url.onnx')}`);
    expect(stdout).toContain(`size:        3.5 MB (${YOLO.length} bytes)`);
    expect(stdout).toContain(`sha256:      ${YOLO_SHA} (matches the manifest)`);
    expect(stdout).toMatch(/^licence:\s+AGPL-3\.0 \(copyleft, AGPL\)/m);
    expect(stdout).toMatch(/^! AGPL-3\.0: serving this model over a network obliges you to offer its source/m);
  });

  it('list shows the licence and its warning marker', async () => {
    const { stdout } = await argus('models', 'list');
    expect(stdout).toMatch(/^yolov8n-url\s+detect\s+onnx\s+AGPL-3\.0\s+yes !$/m);
    expect(stdout).toMatch(/^yolov8n\s+detect\s+onnx\s+AGPL-3\.0\s+no ! — /m);
    expect(stdout).toMatch(/^! AGPL-3\.0: /m);
  });

  it('pull refuses a file whose sha256 does not match and exits 1', async () => {
    const { code, stderr } = await argus('models', 'pull', 'yolov8n-bad');
    expect(code).toBe(1);
    expect(stderr).toContain(`has sha256 ${YOLO_SHA}, but the manifest expects ${'0'.repeat(64)}`);
    expect(existsSync(join(modelsDir, 'downloads/yolov8n-bad.onnx'))).toBe(false);
    expect(existsSync(join(modelsDir, 'downloads/yolov8n-bad.onnx.partial'))).toBe(false);
  });

  it('pull of a file source exits 2 and says where to copy the file', async () => {
    const { code, stderr } = await argus('models', 'pull', 'yolov8n');
    expect(code).toBe(2);
    expect(stderr).toContain(`Copy detect/yolov8n_int8.onnx into ${modelsDir}`);
  });

  it('an unknown alias exits 2', async () => {
    const { code, stderr } = await argus('models', 'pull', 'no-such-model');
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown model 'no-such-model'");
  });

  it('rm deletes the download and says what it deleted; rm of a file source needs --force', async () => {
    const removed = await argus('models', 'rm', 'yolov8n-url');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`deleted ${join(modelsDir, 'downloads/yolov8n-url.onnx')} (3.5 MB)`);
    expect(existsSync(join(modelsDir, 'downloads/yolov8n-url.onnx'))).toBe(false);
    expect((await argus('models', 'rm', 'yolov8n-url')).stdout).toContain('nothing to delete');

    const own = await argus('models', 'rm', 'yolov8n', '--models-dir', MODELS_DIR);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain('is your own file (a file source), not a download; pass --force');
    expect(existsSync(join(MODELS_DIR, 'detect/yolov8n_int8.onnx'))).toBe(true);
  });

  it('pulls, describes and removes a Hugging Face model from the configured endpoint', async () => {
    const pulled = await argus('models', 'pull', 'tiny-hf');
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`pulling tiny-hf from ${server.url}/argus-test/tiny`);
    expect(pulled.stdout).toMatch(/^tiny-hf: onnx\/model\.onnx: 3\.5\/3\.5 MB .* done$/m);
    const dir = join(modelsDir, 'huggingface/argus-test/tiny');
    expect(readFileSync(join(dir, 'onnx/model.onnx')).equals(YOLO)).toBe(true);

    const info = await argus('models', 'info', 'tiny-hf');
    expect(info.stdout).toMatch(/^installed:\s+yes$/m);
    expect(info.stdout).toContain(`path:        ${dir}`);
    expect(info.stdout).toMatch(/^ {2}onnx\/model\.onnx \(3\.5 MB\)$/m);
    expect(info.stdout).toMatch(/^! CC-BY-NC-4\.0: non-commercial use only/m);

    const removed = await argus('models', 'rm', 'tiny-hf');
    expect(removed.stdout).toContain(`deleted ${dir}/ (3 files)`);
    expect(existsSync(dir)).toBe(false);
  });

  it('rm never deletes outside the models directory through a symlinked folder, and says so in one line', async () => {
    const outside = tempDir('argus-outside-');
    try {
      // A Hugging Face owner folder and a download folder that are links to folders outside.
      mkdirSync(join(outside, 'linked/tiny'), { recursive: true });
      writeFileSync(join(outside, 'linked/tiny/config.json'), '{"model_type":"tiny"}');
      writeFileSync(join(outside, 'linked/tiny/precious.bin'), 'not a model');
      mkdirSync(join(modelsDir, 'huggingface'), { recursive: true });
      symlinkSync(join(outside, 'linked'), join(modelsDir, 'huggingface/linked'));
      writeFileSync(join(modelsDir, 'linked-hf.json'), JSON.stringify({ alias: 'linked-hf', task: 'detect', runtime: 'transformers', licence: 'MIT', source: { type: 'huggingface', id: 'linked/tiny' } }));
      mkdirSync(join(outside, 'dl'));
      writeFileSync(join(outside, 'dl/linked.onnx'), 'precious');
      symlinkSync(join(outside, 'dl'), join(modelsDir, 'linkdl'));
      writeFileSync(join(modelsDir, 'linked-url.json'), JSON.stringify({
        alias: 'linked-url', task: 'detect', runtime: 'onnx', licence: 'MIT', input: { width: 640, height: 640 },
        source: { type: 'url', url: `${server.url}/yolo.onnx`, sha256: YOLO_SHA, path: 'linkdl/linked.onnx' },
      }));

      for (const alias of ['linked-hf', 'linked-url']) {
        const removed = await argus('models', 'rm', alias);
        expect({ alias, code: removed.code }).toEqual({ alias, code: 2 });
        expect(removed.stderr.trim().split('\n'), removed.stderr).toHaveLength(1);
        expect(removed.stderr).toMatch(/outside .*models directory/);
        expect(removed.stderr).not.toMatch(/\s+at /);
      }
      // Even where modelRoots lets Argus read that folder, rm deletes nothing there.
      const allowed = await run(process.execPath, [ARGUS_CLI, 'models', 'rm', 'linked-url'], {
        cwd: REPO_ROOT, env: { ...process.env, ARGUS_MODELS_DIR: modelsDir, ARGUS_MODEL_ROOTS: outside },
      }).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
      expect(allowed.code).toBe(2);
      expect(allowed.stderr).toMatch(/lies outside the models directory .*symbolic links resolved/);
      expect(readFileSync(join(outside, 'linked/tiny/precious.bin'), 'utf8')).toBe('not a model');
      expect(readFileSync(join(outside, 'dl/linked.onnx'), 'utf8')).toBe('precious');
    } finally {
      for (const name of ['linked-hf.json', 'linked-url.json', 'huggingface/linked', 'linkdl']) rmSync(join(modelsDir, name), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a manifest cannot point model files outside the models directory (../, absolute, symlinks) unless modelRoots allows it', async () => {
    const outside = tempDir('argus-outside-');
    const secret = join(outside, 'secret.txt');
    writeFileSync(secret, 'the server can read this');
    const secretSha = createHash('sha256').update(readFileSync(secret)).digest('hex');
    symlinkSync(secret, join(modelsDir, 'innocent.onnx'));
    // Up past the root and back down to the secret: ../../…/tmp/argus-outside-…/secret.txt
    const escape = '../'.repeat(12) + secret.slice(1);
    const manifests: Record<string, unknown> = {
      'leak-dotdot': { type: 'file', path: escape },
      'leak-absolute': { type: 'file', path: secret },
      'leak-symlink': { type: 'file', path: 'innocent.onnx' },
      'leak-npm': { type: 'npm', package: '@vladmandic/human', path: escape },
    };
    try {
      for (const [alias, source] of Object.entries(manifests)) {
        writeFileSync(join(modelsDir, `${alias}.json`), JSON.stringify({ alias, task: 'detect', runtime: 'onnx', licence: 'MIT', input: { width: 64, height: 64 }, source }));
      }
      writeFileSync(join(modelsDir, 'leak-files.json'), JSON.stringify({
        alias: 'leak-files', task: 'detect', runtime: 'onnx', licence: 'MIT', input: { width: 640, height: 640 },
        source: { type: 'url', url: `${server.url}/yolo.onnx`, sha256: YOLO_SHA, path: 'downloads/yolov8n-url.onnx' }, files: { extra: escape },
      }));
      expect((await argus('models', 'pull', 'yolov8n-url')).code).toBe(0);
      for (const alias of [...Object.keys(manifests), 'leak-files']) {
        const info = await argus('models', 'info', alias);
        expect(info.stdout, alias).toMatch(/^installed:\s+no — .*outside/m);
        expect(info.stdout + info.stderr, alias).not.toContain(secretSha);
        expect(info.stdout, alias).not.toMatch(/\(24 B\)/);
      }
      // An explicit root makes the same file a model file.
      const allowed = await run(process.execPath, [ARGUS_CLI, 'models', 'info', 'leak-absolute'], {
        cwd: REPO_ROOT, env: { ...process.env, ARGUS_MODELS_DIR: modelsDir, ARGUS_MODEL_ROOTS: outside },
      });
      expect(allowed.stdout).toMatch(/^installed:\s+yes$/m);
      expect(allowed.stdout).toContain(secretSha);
    } finally {
      for (const alias of [...Object.keys(manifests), 'leak-files']) rmSync(join(modelsDir, `${alias}.json`), { force: true });
      rmSync(join(modelsDir, 'innocent.onnx'), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
