import { createTestDatabase } from '../../../test/services.js';
import { describeVectorStore } from '../vectors.conformance.js';
import { openPostgres, type PgPool } from './database.js';
import { PostgresVectorStore } from './vectors.js';

describeVectorStore('postgres (distributed)', async () => {
  const database = await createTestDatabase();
  const pools: PgPool[] = [await openPostgres(database.url, { max: 2 })];
  return {
    store: new PostgresVectorStore(pools[0]),
    async reopen() {
      pools.push(await openPostgres(database.url, { max: 2 }));
      return new PostgresVectorStore(pools.at(-1)!);
    },
    async close() {
      await Promise.all(pools.map((pool) => pool.end()));
      await database.drop();
    },
  };
});
