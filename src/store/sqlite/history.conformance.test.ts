import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers.js';
import { describeHistoryStore } from '../history.conformance.js';
import { SqliteHistoryStore } from './history.js';
import { openDatabase } from './database.js';

describeHistoryStore('embedded (SQLite)', async () => {
  const dir = tempDir('argus-history-');
  const db = openDatabase(join(dir, 'argus.db'));
  return {
    store: new SqliteHistoryStore(db),
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
