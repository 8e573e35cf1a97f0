import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeVectorStore } from '../vectors.conformance.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { SqliteVectorStore } from './vectors.js';

describeVectorStore('sqlite-vec (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-vectors-'));
  const file = join(dir, 'argus.db');
  const dbs: SqliteDatabase[] = [openDatabase(file)];
  return {
    store: new SqliteVectorStore(dbs[0]),
    async reopen() {
      dbs[0].close();
      dbs[0] = openDatabase(file);
      return new SqliteVectorStore(dbs[0]);
    },
    async close() {
      dbs[0].close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
