import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARGUS_ROOT, Catalog } from './catalog.js';

// Catalog.defaultFor: which detector answers a request that names none.
const SHARED_MODELS = resolve(process.env.ARGUS_MODELS_DIR ?? '../shared/models');
const dirs: string[] = [];
function modelsDir(files: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'argus-default-'));
  dirs.push(dir);
  for (const file of files) {
    mkdirSync(join(dir, 'detect'), { recursive: true });
    symlinkSync(join(SHARED_MODELS, file), join(dir, file));
  }
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('Catalog.defaultFor', () => {
  it('is the preferred model when it is installed', () => {
    const catalog = new Catalog({ modelsDir: SHARED_MODELS });
    expect(catalog.defaultFor('detect', 'yolov8n')?.alias).toBe('yolov8n');
    expect(catalog.defaultFor('detect', 'centernet')?.alias).toBe('centernet');
    expect(catalog.defaultFor('detect', 'YOLO11N')?.alias).toBe('yolo11n');
  });

  it('falls back to the detector bundled in npm (centernet) when the models directory is empty', () => {
    const catalog = new Catalog({ modelsDir: modelsDir() });
    expect(catalog.availability(catalog.require('centernet')).available).toBe(true);
    expect(catalog.defaultFor('detect', 'yolov8n')?.alias).toBe('centernet');
    expect(catalog.defaultFor('detect', 'no-such-model')?.alias).toBe('centernet');
    expect(catalog.defaultFor('detect')?.alias).toBe('centernet');
  });

  it('prefers a detector the user installed over the npm-bundled one', () => {
    const catalog = new Catalog({ modelsDir: modelsDir(['detect/yolo11n_int8.onnx']), modelRoots: [SHARED_MODELS] });
    expect(catalog.defaultFor('detect', 'yolov8n')?.alias).toBe('yolo11n');
    expect(catalog.defaultFor('detect', 'centernet')?.alias).toBe('centernet');
  });

  it('returns the preferred model, not installed, when no detector is, so the error names it', () => {
    const dir = modelsDir();
    // A user manifest replaces the built-in centernet with one whose file is missing.
    writeFileSync(join(dir, 'centernet.json'), JSON.stringify({
      alias: 'centernet', task: 'detect', runtime: 'tfjs', licence: 'MIT', source: 'detect/missing/model.json',
    }));
    const catalog = new Catalog({ modelsDir: dir });
    expect(catalog.problems).toEqual([]);
    const chosen = catalog.defaultFor('detect', 'yolov8n');
    expect(chosen?.alias).toBe('yolov8n');
    expect(catalog.availability(chosen!).available).toBe(false);
    // No model for the task is installed and the preferred alias serves another task: nothing to name.
    expect(catalog.defaultFor('generate', 'yolov8n')).toBeUndefined();
  });
});

describe('a model shipped inside Argus (source type shipped)', () => {
  it('is available with an empty models directory and is the segmentation default', () => {
    const catalog = new Catalog({ modelsDir: modelsDir() });
    const selfie = catalog.require('selfie');
    expect(selfie.source).toEqual({ type: 'shipped', path: 'vendor/models/selfie/selfie.json' });
    expect(catalog.availability(selfie)).toEqual({ available: true, path: join(ARGUS_ROOT, 'vendor/models/selfie/selfie.json') });
    expect(catalog.defaultFor('segment')?.alias).toBe('selfie');
  });

  it('ranks below a model the user installed, like an npm one', () => {
    const dir = modelsDir();
    writeFileSync(join(dir, 'mine.json'), JSON.stringify({ alias: 'mine', task: 'segment', runtime: 'onnx', licence: 'MIT', source: 'mine.onnx' }));
    writeFileSync(join(dir, 'mine.onnx'), 'stand-in bytes: availability only checks the file is there');
    expect(new Catalog({ modelsDir: dir }).defaultFor('segment')?.alias).toBe('mine');
  });

  it('is unavailable, with the reason, when its file is missing or its path leaves the package', () => {
    const dir = modelsDir();
    writeFileSync(join(dir, 'gone.json'), JSON.stringify({ alias: 'gone', task: 'segment', runtime: 'tfjs', licence: 'MIT', source: { type: 'shipped', path: 'vendor/models/none/model.json' } }));
    writeFileSync(join(dir, 'out.json'), JSON.stringify({ alias: 'out', task: 'segment', runtime: 'tfjs', licence: 'MIT', source: { type: 'shipped', path: '../elsewhere/model.json' } }));
    const catalog = new Catalog({ modelsDir: dir });
    expect(catalog.problems).toEqual([]);
    expect(catalog.availability(catalog.require('gone'))).toMatchObject({ available: false, reason: expect.stringMatching(/ships with Argus, is missing; reinstall Argus/) });
    expect(catalog.availability(catalog.require('out'))).toMatchObject({ available: false, reason: expect.stringMatching(/points outside/) });
  });
});

describe('Catalog.recentAvailability', () => {
  it('answers from the last look for a second, and every fresh look replaces that answer', () => {
    const dir = modelsDir(['detect/yolo11n_int8.onnx']);
    const catalog = new Catalog({ modelsDir: dir, modelRoots: [SHARED_MODELS] });
    const yolo = catalog.require('yolo11n');
    expect(catalog.recentAvailability(yolo).available).toBe(true);
    rmSync(join(dir, 'detect/yolo11n_int8.onnx'));
    // The request path's answer is the remembered one; a worker's spawn (availability) looks.
    expect(catalog.recentAvailability(yolo).available).toBe(true);
    expect(catalog.defaultFor('detect')?.alias).toBe('yolo11n');
    expect(catalog.availability(yolo).available).toBe(false);
    expect(catalog.recentAvailability(yolo).available).toBe(false);
    expect(catalog.defaultFor('detect')?.alias).toBe('centernet');
  });

  it('looks again once the second is over', async () => {
    const dir = modelsDir();
    const catalog = new Catalog({ modelsDir: dir, modelRoots: [SHARED_MODELS] });
    const yolo = catalog.require('yolo11n');
    expect(catalog.recentAvailability(yolo).available).toBe(false);
    mkdirSync(join(dir, 'detect'), { recursive: true });
    symlinkSync(join(SHARED_MODELS, 'detect/yolo11n_int8.onnx'), join(dir, 'detect/yolo11n_int8.onnx'));
    expect(catalog.recentAvailability(yolo).available).toBe(false);
    await new Promise((r) => setTimeout(r, 1_050));
    expect(catalog.recentAvailability(yolo).available).toBe(true);
  });
});
