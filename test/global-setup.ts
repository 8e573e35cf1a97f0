import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The newest modification time of the files under `dir` (tests excluded), in ms. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Fails the run at once, with what to do, when the real models are not where tests expect them;
 * and compiles dist/ when the sources are newer, since the processes tests spawn (`argus serve`,
 * `argus worker`, the CLI) run the compiled build. `npm test` has just built it; this is for a
 * single file run with `npx vitest run FILE` after an edit.
 */
export default function setup(): void {
  const modelsDir = process.env.ARGUS_MODELS_DIR;
  const required = join(modelsDir ?? '', 'detect/yolov8n_int8.onnx');
  if (!modelsDir || !existsSync(required)) {
    throw new Error(
      `Tests need the real models: ${required} was not found. Set ARGUS_MODELS_DIR to the shared models ` +
        'folder (for example ARGUS_MODELS_DIR=../shared/models); see ../shared/README.md.',
    );
  }
  const built = join(ROOT, 'dist/.built');
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource(join(ROOT, 'src'))) {
    console.log('compiling dist/ (the sources are newer) for the processes the tests spawn');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    execFileSync(process.execPath, ['scripts/copy-assets.mjs'], { cwd: ROOT, stdio: 'inherit' });
  }
}
