import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/services.js';
import { describeFilesStore } from '../files.conformance.js';
import { openPostgres, type PgPool } from './database.js';
import { PostgresFilesStore } from './files.js';

// A real PostgreSQL database, created for this run and dropped after it; each test starts from an
// empty table with its identity restarted, as a fresh deployment would.
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describeFilesStore('PostgreSQL', async () => {
  const pools: PgPool[] = [await openPostgres(database.url, { max: 2 })];
  await pools[0].query('TRUNCATE files RESTART IDENTITY');
  return {
    store: new PostgresFilesStore(pools[0]),
    async reopen() {
      pools.push(await openPostgres(database.url, { max: 2 }));
      return new PostgresFilesStore(pools[pools.length - 1]);
    },
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
});
