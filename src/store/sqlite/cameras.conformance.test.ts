import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { describeCameraStore } from '../cameras.conformance.js';
import { SqliteCameraStore } from './cameras.js';
import { openDatabase } from './database.js';

const dir = tempDir('argus-cameras-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeCameraStore('sqlite', () => {
  const file = join(dir, 'argus.db');
  const dbs = [openDatabase(file)];
  return {
    store: new SqliteCameraStore(dbs[0]),
    reopen: () => {
      dbs.push(openDatabase(file));
      return new SqliteCameraStore(dbs[dbs.length - 1]);
    },
    close: () => dbs.forEach((db) => db.close()),
  };
});
