import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const fromSources = extname(here) === '.ts';
const srcRoot = resolve(dirname(here), '..');

/** How to fork a module of this package as a child process. */
export interface ChildModule {
  path: string;
  /**
   * Explicit rather than inherited from the parent (which may hold --inspect or test-runner
   * flags); modules run from TypeScript sources need tsx to load.
   */
  execArgv: string[];
}

/**
 * The module at `path` (relative to src/, without extension) as a child process runs it: the
 * compiled file beside this one, or the TypeScript source under tsx. From sources, when
 * ARGUS_BUILD_DIR names a compiled build of the same sources, children run that instead, which
 * starts ~0.6 s faster per process; the test suite sets it, since it forks hundreds of them.
 */
export function childModule(path: string): ChildModule {
  if (!fromSources) return { path: join(srcRoot, `${path}.js`), execArgv: [] };
  // A development switch, not configuration: it only matters when running from sources.
  // eslint-disable-next-line no-restricted-properties
  const build = process.env.ARGUS_BUILD_DIR;
  if (build) return { path: join(resolve(build), `${path}.js`), execArgv: [] };
  return { path: join(srcRoot, `${path}.ts`), execArgv: ['--import', import.meta.resolve('tsx')] };
}

