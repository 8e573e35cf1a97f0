import { afterAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/services.js';
import { describeCameraStore } from '../cameras.conformance.js';
import { PostgresCameraStore } from './cameras.js';
import { openPostgres } from './database.js';

// PostgreSQL (distributed mode): a fresh database for the run; reopening is a second pool on it.
let database: TestDatabase | undefined;
afterAll(async () => {
  await database?.drop();
});

describeCameraStore('postgres', async () => {
  database = await createTestDatabase();
  const pools = [await openPostgres(database.url, { max: 2 })];
  return {
    store: new PostgresCameraStore(pools[0]),
    reopen: () => {
      pools.push(pools[0]);
      return new PostgresCameraStore(pools[0]);
    },
    close: async () => {
      await pools[0].end();
    },
  };
});
