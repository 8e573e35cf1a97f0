import { afterAll, beforeAll } from 'vitest';
import { clearPrefix, createTestDatabase, redisForTests, testPrefix, type RedisServer, type TestDatabase } from '../../../test/services.js';
import { openPostgres } from '../../store/postgres/database.js';
import { PostgresJobRecords } from './postgres-records.js';
import { describeJobQueue } from '../queue.conformance.js';
import { BullmqJobQueue } from './job-queue.js';
import { BullmqTransport, queueForModel } from './transport.js';

// Real Redis and a real PostgreSQL database, created for this run and dropped after it.
let redis: RedisServer;
let database: TestDatabase;

beforeAll(async () => {
  redis = await redisForTests();
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
  await redis?.stop();
});

describeJobQueue('BullMQ + PostgreSQL', async () => {
  const prefix = testPrefix();
  const pool = await openPostgres(database.url, { max: 4 });
  await pool.query('TRUNCATE jobs');
  const transport = new BullmqTransport({ redisUrl: redis.url, prefix, lockDurationMs: 5_000, stalledIntervalMs: 2_000, maxStalledCount: 2 });
  const queue = new BullmqJobQueue({ transport, records: new PostgresJobRecords(pool), retentionMs: 3_600_000 });
  return {
    queue,
    process: (handler, concurrency) => {
      // A worker node consumes its model's queue; the suite's jobs are for model 'conformance'.
      const consumer = new BullmqJobQueue({ transport, records: new PostgresJobRecords(pool), retentionMs: 3_600_000, consume: [{ queue: queueForModel('conformance'), concurrency }] });
      consumer.process(handler, { concurrency });
    },
    async close() {
      await transport.close();
      await pool.end();
      await clearPrefix(redis.url, prefix);
    },
  };
});
