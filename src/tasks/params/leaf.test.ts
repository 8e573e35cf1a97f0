import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Task parameter schemas and result types live in leaf modules (src/tasks/params/, and the task
 * list in src/tasks/names.ts) so that routes, the service and the catalog can import them without
 * pulling in a pipeline, sharp or onnxruntime. "Leaf" here means: every import they reach,
 * type-only ones included, is another leaf or the TypeBox package.
 */
const TASKS_DIR = resolve(import.meta.dirname, '..');
const SRC = resolve(TASKS_DIR, '..');
const PARAMS_DIR = import.meta.dirname;
const PACKAGES = new Set(['typebox']);

/** Every module specifier in a file: imports, re-exports, `import type`, `import()` and `require()`. */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** `./x.js` from `file` → the .ts file it names. */
function resolveLocal(file: string, specifier: string): string {
  return resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
}

/**
 * What the files reach that is not a leaf: a walk over static imports from `roots`, where a leaf is
 * a file for which `isLeaf` holds and a bare specifier must be one of `packages`.
 */
function leafViolations(roots: readonly string[], isLeaf: (file: string) => boolean, packages = PACKAGES): string[] {
  const seen = new Set<string>();
  const violations: string[] = [];
  const queue = [...roots];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiers(file)) {
      const from = relative(SRC, file);
      if (!specifier.startsWith('.')) {
        if (!packages.has(specifier)) violations.push(`${from} imports package ${specifier}`);
        continue;
      }
      const target = resolveLocal(file, specifier);
      if (!isLeaf(target)) violations.push(`${from} imports ${relative(SRC, target)}`);
      else queue.push(target);
    }
  }
  return violations;
}

const isTaskLeaf = (file: string) => file.startsWith(PARAMS_DIR + sep) || file === join(TASKS_DIR, 'names.ts');
const paramFiles = readdirSync(PARAMS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(PARAMS_DIR, f));

describe('task parameter modules', () => {
  it('cover every task of the table', async () => {
    const { TASK_NAMES } = await import('../names.js');
    const names = paramFiles.map((f) => relative(PARAMS_DIR, f).replace(/\.ts$/, ''));
    for (const task of TASK_NAMES) expect(names).toContain(task);
  });

  it.each([...paramFiles, join(TASKS_DIR, 'names.ts')].map((f) => [relative(SRC, f), f]))('%s reaches only params/ leaves and typebox', (_name, file) => {
    expect(leafViolations([file], isTaskLeaf)).toEqual([]);
  });

  it('are the only part of tasks/ that the HTTP layer imports, besides the shared types', () => {
    const allowed = (file: string) => isTaskLeaf(file) || file === join(TASKS_DIR, 'types.ts');
    const http = (readdirSync(join(SRC, 'http'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(SRC, 'http', f));
    const reached = http.flatMap((file) => specifiers(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveLocal(file, s))
      .filter((target) => target.startsWith(TASKS_DIR + sep) && !allowed(target))
      .map((target) => `${relative(SRC, file)} imports ${relative(SRC, target)}`));
    expect(reached).toEqual([]);
  });
});

describe('the leaf check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-leaf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    return join(dir, path);
  };
  const inParams = (file: string) => file.startsWith(join(dir, 'params') + sep);

  it('fails on a params file that reaches vision/ or sharp, directly or through another file', () => {
    write('vision/letterbox.ts', "import sharp from 'sharp';\nexport interface Box { x1: number }\n");
    write('params/box.ts', "import type { Box } from '../vision/letterbox.js';\nexport type { Box };\n");
    const detect = write('params/detect.ts', "import Type from 'typebox';\nimport type { Box } from './box.js';\nexport const X = Type.Object({});\n");
    const ocr = write('params/ocr.ts', "import sharp from 'sharp';\nexport const decode = () => import('onnxruntime-node');\n");
    expect(leafViolations([detect], inParams)).toEqual([expect.stringMatching(/params\/box\.ts imports .*vision\/letterbox\.ts$/)]);
    expect(leafViolations([ocr], inParams).map((v) => v.replace(/^.* imports /, ''))).toEqual(['package sharp', 'package onnxruntime-node']);
  });

  it('passes a params file that imports only typebox and its params neighbours', () => {
    write('params/pose.ts', "import Type from 'typebox';\nexport * from './keypoints.js';\nexport const P = Type.Object({});\n");
    write('params/keypoints.ts', 'export const K = [] as const;\n');
    expect(leafViolations([join(dir, 'params/pose.ts')], inParams)).toEqual([]);
  });
});
