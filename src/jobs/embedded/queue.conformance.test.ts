import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../store/sqlite/database.js';
import { EmbeddedQueue } from './queue.js';
import { describeJobQueue } from '../queue.conformance.js';

describeJobQueue('embedded (SQLite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-queue-'));
  const db = openDatabase(join(dir, 'argus.db'));
  const queue = new EmbeddedQueue(db, { leaseMs: 5_000 });
  return {
    queue,
    process: (handler, concurrency) => queue.process(handler, { concurrency }),
    async close() {
      await queue.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
