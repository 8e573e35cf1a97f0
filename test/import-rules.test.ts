/**
 * The import rules (.dependency-cruiser.cjs, run by `npm run lint:imports` before the tests) hold on
 * the real sources, and they do fail: a small tree that breaks each kind of rule is refused.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

const config = createRequire(import.meta.url)(join(REPO_ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

async function violations(baseDir: string): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(baseDir);
  try {
    const { output } = await cruise(['src'], {
      ...config.options,
      ruleSet: { forbidden: config.forbidden },
      validate: true,
      tsConfig: undefined,
      baseDir,
    });
    const result = output as ICruiseResult;
    return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

describe('import rules', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'argus-imports-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  function write(path: string, text: string): void {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  }

  it('the sources keep them', async () => {
    expect(await violations(REPO_ROOT)).toEqual([]);
  }, 120_000);

  it('refuses a task that reaches a route, a route that runs a task, a cycle and a type-only runtime leak', async () => {
    write('src/http/routes/detect.ts', "import { detect } from '../../tasks/detect.js';\nexport const route = detect;\n");
    write('src/tasks/detect.ts', "import { route } from '../http/routes/detect.js';\nexport const detect = () => route;\n");
    write('src/tasks/types.ts', "import type { Session } from '../runtimes/onnx.js';\nexport type T = Session;\n");
    write('src/runtimes/onnx.ts', "export class Session {}\n");
    write('src/tasks/chat.ts', "import { Session } from '../runtimes/onnx.js';\nexport const s = new Session();\n");
    write('src/service/inference.ts', "import { x } from '../features/search.js';\nexport const y = x;\n");
    write('src/features/search.ts', 'export const x = 1;\n');
    const found = await violations(fixture);
    expect(found).toEqual(expect.arrayContaining([
      'routes-shape-only: src/http/routes/detect.ts → src/tasks/detect.ts',
      'tasks-compute-only: src/tasks/detect.ts → src/http/routes/detect.ts',
      'tasks-use-runtime-types-only: src/tasks/chat.ts → src/runtimes/onnx.ts',
      'service-below-features: src/service/inference.ts → src/features/search.ts',
    ]));
    expect(found.some((v) => v.startsWith('no-circular: src/'))).toBe(true);
    // Naming a runtime's type from a task is allowed: tasks receive sessions.
    expect(found.filter((v) => v.startsWith('tasks-use-runtime-types-only: src/tasks/types.ts'))).toEqual([]);
  }, 60_000);
});
