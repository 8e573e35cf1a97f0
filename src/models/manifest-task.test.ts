import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TASK_NAMES } from '../tasks/names.js';
import { Catalog } from './catalog.js';
import { ManifestError, parseManifest } from './manifest.js';

// A manifest names one of the tasks the task table implements (tasks/names.ts), or it is refused
// when the catalog reads it, not later when a worker fails to load it.
const base = { alias: 'm', runtime: 'onnx', licence: 'MIT', source: 'x.onnx' };
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function problemsOf(raw: unknown): string[] {
  try {
    parseManifest(raw, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).problems;
  }
  return [];
}

describe('a manifest\'s task', () => {
  it.each(TASK_NAMES)('%s is accepted', (task) => {
    expect(parseManifest({ ...base, task }, 'test.json').task).toBe(task);
  });

  it.each(['caption', 'Detect', 'detection', 42, null])('%j is refused, naming the tasks there are', (task) => {
    const problems = problemsOf({ ...base, task });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(`/task ${JSON.stringify(task)} is not a task Argus serves; use one of: ${TASK_NAMES.join(', ')}`);
  });

  it('is reported with the manifest\'s other problems', () => {
    const problems = problemsOf({ ...base, task: 'caption', runtime: 'pytorch' });
    expect(problems[0]).toMatch(/^\/task "caption" is not a task Argus serves/);
    expect(problems.some((p) => p.startsWith('/runtime'))).toBe(true);
    expect(problems.filter((p) => p.startsWith('/task'))).toHaveLength(1);
  });

  it('is required', () => {
    expect(problemsOf({ ...base }).join('; ')).toMatch(/task/);
  });

  it('keeps a user manifest with an unknown task out of the catalog, listed as a problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-task-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'captioner.json'), JSON.stringify({ ...base, alias: 'captioner', task: 'caption' }));
    const catalog = new Catalog({ modelsDir: dir });
    expect(catalog.list().map((e) => e.manifest.alias)).not.toContain('captioner');
    expect(catalog.problems.join('\n')).toMatch(/captioner\.json.*\/task "caption" is not a task Argus serves/);
  });
});
