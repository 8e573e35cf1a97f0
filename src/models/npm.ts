import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder of an installed npm package, looked up the way Node looks up packages (each
 * `node_modules` from `from`'s folder upwards) but without its `exports` map. Packages such as
 * `@vladmandic/human` export no `./package.json`, so `require.resolve('<pkg>/package.json')`
 * throws ERR_PACKAGE_PATH_NOT_EXPORTED although the package and its model files are there.
 * @throws Error when no `node_modules` on the path holds the package.
 */
export function npmPackageDir(name: string, from: NodeJS.Require): string {
  for (const dir of from.resolve.paths(name) ?? []) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  throw new Error(`npm package ${name} is not installed`);
}
