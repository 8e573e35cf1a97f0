import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { describeHistoryStore } from '../history.conformance.js';
import type { NewHistoryEntry } from '../history.js';
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

const entry = (n: number, source?: Uint8Array): NewHistoryEntry => ({
  id: `id-${n}`, kind: 'sync', task: 'detect', model: 'yolov8n', status: 'succeeded', labels: [], summary: '', result_omitted: false,
  created_at: n, source,
});

describe('SQLite history: input images as files beside the database', () => {
  it('keeps a batch\'s sources in one file, each at its place, and removes the file when no row names it: trimmed, replaced, deleted, made into JPEGs; a crash’s leftovers at open', async () => {
    const dir = tempDir('argus-history-files-');
    let db = openDatabase(join(dir, 'argus.db'));
    try {
      let store = new SqliteHistoryStore(db);
      const files = () => readdirSync(store.sourcesDir).length;
      // Different bytes and lengths per entry, so a wrong offset or length shows.
      const bytesOf = (n: number) => Buffer.alloc(200_000 + n * 1_001, n);
      await store.addMany([entry(1, bytesOf(1)), entry(2, bytesOf(2)), entry(3, bytesOf(3)), entry(4)], 3);
      expect(files()).toBe(1); // one file for the batch; id-1 trimmed, but id-2 and id-3 still lie in it
      expect(await store.source('id-1')).toBeUndefined();
      expect(Buffer.from((await store.source('id-2'))!)).toEqual(bytesOf(2));
      expect(Buffer.from((await store.source('id-3'))!)).toEqual(bytesOf(3));
      expect(await store.source('id-4')).toBeUndefined();
      await store.add(entry(2, bytesOf(12))); // replaced: its new source is a file of its own
      expect(files()).toBe(2);
      expect(Buffer.from((await store.source('id-2'))!)).toEqual(bytesOf(12));
      await store.delete('id-3'); // the last entry of the first batch: its file goes
      expect(files()).toBe(1);
      await store.setImages('id-2', { thumbnail: Uint8Array.of(1), preview: Uint8Array.of(2) });
      expect(files()).toBe(0);
      await store.addMany([entry(5, bytesOf(5)), entry(7, bytesOf(7))]);
      await store.setImages('id-5', { thumbnail: Uint8Array.of(1), preview: Uint8Array.of(2) });
      expect(files()).toBe(1); // id-7 still lies in it
      expect(Buffer.from((await store.source('id-7'))!)).toEqual(bytesOf(7));
      await store.trim(0);
      expect(files()).toBe(0);

      await store.addMany([entry(6, bytesOf(6)), entry(8, bytesOf(8))]);
      writeFileSync(join(store.sourcesDir, 'left-by-a-crash'), 'x');
      db.close();
      db = openDatabase(join(dir, 'argus.db'));
      store = new SqliteHistoryStore(db);
      expect(readdirSync(store.sourcesDir)).toHaveLength(1);
      expect(Buffer.from((await store.source('id-6'))!)).toEqual(bytesOf(6));
      expect(Buffer.from((await store.source('id-8'))!)).toEqual(bytesOf(8));
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still reads a source kept whole in a file of its own, as entries from before the packs were', async () => {
    const dir = tempDir('argus-history-files-');
    const db = openDatabase(join(dir, 'argus.db'));
    try {
      const store = new SqliteHistoryStore(db);
      await store.add(entry(1, Buffer.alloc(1000, 1)));
      const bytes = Buffer.alloc(5000, 9);
      writeFileSync(join(store.sourcesDir, 'old-file'), bytes);
      db.prepare("UPDATE history SET source_file = 'old-file', source_offset = NULL, source_length = NULL WHERE id = 'id-1'").run();
      expect(Buffer.from((await store.source('id-1'))!)).toEqual(bytes);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
