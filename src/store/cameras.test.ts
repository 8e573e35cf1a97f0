import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { createTestDatabase, type TestDatabase } from '../../test/services.js';
import { SqliteCameraStore, type CameraStore } from './cameras.js';
import { PostgresCameraStore } from './postgres/cameras.js';
import { openPostgres } from './postgres/database.js';
import { openDatabase } from './sqlite/database.js';

/** The suite every CameraStore implementation passes (SQLite here; PostgreSQL can reuse it). */
interface Opened {
  store: CameraStore;
  reopen(): CameraStore;
  close(): void | Promise<void>;
}

export function describeCameraStore(name: string, open: () => Opened | Promise<Opened>): void {
  describe(`CameraStore: ${name}`, () => {
    it('creates, replaces, lists, deletes, and keeps cameras across a reopen', async () => {
      const { store, reopen, close } = await open();
      try {
        expect(await store.get('gate')).toBeUndefined();
        const first = await store.put('gate', { conf: 0.3, zones: [] });
        expect(first.created).toBe(true);
        expect(first.record).toMatchObject({ id: 'gate', config: { conf: 0.3, zones: [] } });
        const second = await store.put('gate', { conf: 0.5 });
        expect(second.created).toBe(false);
        expect(second.record.created_at).toBe(first.record.created_at);
        expect(second.record.updated_at).toBeGreaterThanOrEqual(first.record.updated_at);
        await store.put('dock', { model: 'yolo11n' });
        expect((await store.list()).map((c) => c.id)).toEqual(['dock', 'gate']);
        expect((await reopen().get('gate'))?.config).toEqual({ conf: 0.5 });
        expect(await store.delete('dock')).toBe(true);
        expect(await store.delete('dock')).toBe(false);
        expect((await store.list()).map((c) => c.id)).toEqual(['gate']);
      } finally {
        await close();
      }
    });
  });
}

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
