// Refreshes vendor/redoc/ from the redoc npm tarball: the standalone bundle that GET /redoc serves,
// its licence files and SOURCE.json (version, tarball integrity, bundle sha256). Only these files
// are kept, not the package: redoc@2 as a dependency would bring ~115 packages (82 MB) of peers
// (react, styled-components, mobx, core-js) for one prebuilt 1.1 MB file. See docs/architecture.md.
//
//   node scripts/vendor-redoc.mjs [version]      (default: the version in vendor/redoc/SOURCE.json)
//
// `npm pack` checks the tarball against the registry's integrity; the bundle's sha256 is then
// recorded, and src/http/routes/redoc.test.ts checks the committed bundle against it.
import { execFileSync } from 'node:child_process';
import { argv, stdout } from 'node:process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'vendor/redoc');
const SOURCE = join(OUT, 'SOURCE.json');
const FILES = { 'package/bundles/redoc.standalone.js': 'redoc.standalone.js', 'package/bundles/redoc.standalone.js.LICENSE.txt': 'redoc.standalone.js.LICENSE.txt', 'package/LICENSE': 'LICENSE' };

const version = argv[2] ?? (existsSync(SOURCE) ? JSON.parse(readFileSync(SOURCE, 'utf8')).version : undefined);
if (!version) throw new Error('usage: node scripts/vendor-redoc.mjs <version> (e.g. 2.5.4)');

const work = mkdtempSync(join(tmpdir(), 'argus-redoc-'));
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', `redoc@${version}`, '--json', '--pack-destination', work], { encoding: 'utf8' }));
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', work, ...Object.keys(FILES)]);
  mkdirSync(OUT, { recursive: true });
  for (const [from, to] of Object.entries(FILES)) copyFileSync(join(work, from), join(OUT, to));
  const bundle = readFileSync(join(OUT, 'redoc.standalone.js'));
  const source = {
    package: 'redoc',
    version: packed.version,
    license: 'MIT',
    tarball: `https://registry.npmjs.org/redoc/-/redoc-${packed.version}.tgz`,
    integrity: packed.integrity,
    files: Object.values(FILES),
    bundleSha256: createHash('sha256').update(bundle).digest('hex'),
    bundleBytes: bundle.length,
  };
  writeFileSync(SOURCE, `${JSON.stringify(source, null, 2)}\n`);
  stdout.write(`vendor/redoc: redoc ${source.version}, redoc.standalone.js ${source.bundleBytes} bytes, sha256 ${source.bundleSha256}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
