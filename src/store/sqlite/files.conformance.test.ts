import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers.js';
import { describeFilesStore } from '../files.conformance.js';
import { SqliteFilesStore } from './files.js';
import { openDatabase, type SqliteDatabase } from './database.js';

describeFilesStore('embedded (SQLite)', async () => {
  const dir = tempDir('argus-files-');
  const file = join(dir, 'argus.db');
  const dbs: SqliteDatabase[] = [openDatabase(file)];
  return {
    store: new SqliteFilesStore(dbs[0]),
    async reopen() {
      dbs.push(openDatabase(file));
      return new SqliteFilesStore(dbs[dbs.length - 1]);
    },
    async close() {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
