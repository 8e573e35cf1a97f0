// Copies non-TypeScript assets that live beside the code (SQL migrations, static files) into dist/.
import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.(sql|html|css|svg|txt|json)$/;
const src = 'src';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) cpSync(path, join('dist', relative(src, path)));
  }
}
walk(src);

// The build's completion time: the test setup compares it with the sources to tell a stale build.
writeFileSync('dist/.built', `${new Date().toISOString()}\n`);
