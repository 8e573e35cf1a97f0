import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/services.js';
import { describeHistoryStore } from '../history.conformance.js';
import { openPostgres } from './database.js';
import { PostgresHistoryStore } from './history.js';

// A real PostgreSQL database, created for this run and dropped after it; each test starts from an
// empty table, as a fresh deployment would.
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describeHistoryStore('PostgreSQL', async () => {
  const pool = await openPostgres(database.url, { max: 2 });
  await pool.query('TRUNCATE history RESTART IDENTITY');
  return { store: new PostgresHistoryStore(pool), close: () => pool.end() };
});
