import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ARGUS_CLI, IMAGES_DIR, MODELS_DIR, REPO_ROOT, tempDir } from './helpers.js';
import { freePort } from './services.js';

const run = promisify(execFile);
const out = tempDir('argus-cli-');

afterAll(() => rmSync(out, { recursive: true, force: true }));

function argus(...args: string[]) {
  return run(process.execPath, [ARGUS_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ARGUS_MODELS_DIR: MODELS_DIR, ARGUS_DATA_DIR: join(out, 'data') },
  });
}

describe('the argus command', () => {
  it('detect --json prints the same result shape as the API', async () => {
    const { stdout } = await argus('detect', join(IMAGES_DIR, 'bus.jpg'), '--json');
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ width: 810, height: 1080, model: { alias: 'yolov8n' } });
    expect(result.detections.filter((d: { label: string }) => d.label === 'person')).toHaveLength(4);
  });

  it('detect --out draws the boxes onto a copy of the image', async () => {
    const file = join(out, 'annotated.png');
    const { stdout } = await argus('detect', join(IMAGES_DIR, 'bus.jpg'), '--out', file, '--classes', 'bus');
    expect(stdout).toMatch(/bus\s+0\.\d\d/);
    expect(existsSync(file)).toBe(true);
    const drawn = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect(drawn.info).toMatchObject({ width: 810, height: 1080 });
    // The bus box's left edge is stroked in the bus colour (#48F90A) along its height.
    const [x1, y1, , y2] = /bus\s+0\.\d\d\s+\[(\d+), (\d+), (\d+), (\d+)\]/.exec(stdout)!.slice(1).map(Number);
    const nearBusColour = (x: number, y: number) => {
      const i = (y * 810 + x) * drawn.info.channels;
      return Math.abs(drawn.data[i] - 0x48) + Math.abs(drawn.data[i + 1] - 0xf9) + Math.abs(drawn.data[i + 2] - 0x0a) < 90;
    };
    let changed = 0;
    for (let y = y1 + 30; y < y2 - 30; y++) if ([-2, -1, 0, 1, 2].some((dx) => nearBusColour(x1 + dx, y))) changed++;
    expect(changed).toBe(y2 - y1 - 60);
  });

  it('models list shows what is installed, with licences', async () => {
    const { stdout } = await argus('models', 'list');
    expect(stdout).toMatch(/yolov8n\s+detect\s+onnx\s+AGPL-3\.0\s+yes/);
  });

  it('fails clearly on a file that is not an image', async () => {
    await expect(argus('detect', join(REPO_ROOT, 'package.json'))).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not an image'),
    });
  });
});

describe('argus doctor', () => {
  it('checks everything npm start and npm test need, and exits 0 when all is well', async () => {
    const { stdout } = await argus('doctor', '--json');
    const report = JSON.parse(stdout);
    const names = report.sections.flatMap((s: { results: Array<{ name: string }> }) => s.results.map((r) => r.name));
    for (const name of ['Node.js', 'onnxruntime-node', 'sharp', 'better-sqlite3', 'sqlite-vec', 'ffmpeg', 'models directory', 'models installed', 'free disk', 'free memory', 'Chromium', 'redis-server', 'PostgreSQL for tests', 'docker-compose', 'test models']) {
      expect(names, name).toContain(name);
    }
    expect(report.ok).toBe(true);
    const all = report.sections.flatMap((s: { results: unknown[] }) => s.results);
    expect(all.find((r: { name: string }) => r.name === 'models installed').detail).toMatch(/yolov8n/);
    expect(all.find((r: { name: string }) => r.name === 'ffmpeg').detail).toMatch(/^(system|packaged) ffmpeg \S+/);
  });

  it('exits 1 and prints a fix for each problem: a broken ffmpeg path, Redis and PostgreSQL that do not answer', async () => {
    const closed = await freePort();
    const failed = await run(process.execPath, [ARGUS_CLI, 'doctor', '--no-tests'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ARGUS_MODELS_DIR: MODELS_DIR,
        ARGUS_DATA_DIR: join(out, 'data'),
        ARGUS_FFMPEG_PATH: '/nonexistent/ffmpeg',
        ARGUS_QUEUE_URL: `redis://127.0.0.1:${closed}`,
        ARGUS_DB_URL: `postgres://argus:secret@127.0.0.1:${closed}/argus`,
      },
    }).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    const text = failed.stdout;
    expect(text).toMatch(/FAIL\s+ffmpeg\s+no working ffmpeg \(configured '\/nonexistent\/ffmpeg': not found\)/);
    expect(text).toMatch(/fix: ARGUS_FFMPEG_PATH is set to '\/nonexistent\/ffmpeg'/);
    expect(text).toMatch(/FAIL\s+Redis \(ARGUS_QUEUE_URL\)/);
    expect(text).toMatch(/FAIL\s+PostgreSQL \(ARGUS_DB_URL\)/);
    expect(text).not.toContain('secret');
    expect(text).toMatch(/ok\s+sqlite-vec/);
    expect(text).not.toMatch(/Tests \(npm test\)/);
    expect(text).toMatch(/3 problems: see each fix above\./);
  });
});
