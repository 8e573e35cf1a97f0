import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);
const fromSources = extname(here) === '.ts';
const srcRoot = dirname(here);

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


/** How to start a module of this package as a worker thread (`new Worker(script, {eval})`). */
export interface ThreadModule {
  script: string;
  eval: boolean;
}

/**
 * The module at `path` as a worker thread runs it: the compiled file as {@link childModule}
 * picks it, or the TypeScript source with tsx registered in the thread first. Threads do not
 * take `--import` hooks from their process, nor in their own execArgv.
 */
export function threadModule(path: string): ThreadModule {
  const child = childModule(path);
  if (child.execArgv.length === 0) return { script: child.path, eval: false };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = JSON.stringify(pathToFileURL(child.path).href);
  return { script: `import(${api}).then((tsx) => { tsx.register(); return import(${source}); });`, eval: true };
}
