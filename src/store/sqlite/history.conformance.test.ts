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
  it('keeps one file per waiting source and removes it when its row goes: trimmed, replaced, deleted, made into JPEGs; a crash’s leftovers at open', async () => {
    const dir = tempDir('argus-history-files-');
    let db = openDatabase(join(dir, 'argus.db'));
    try {
      let store = new SqliteHistoryStore(db);
      const files = () => readdirSync(store.sourcesDir).length;
      const bytes = Buffer.alloc(200_000, 7);
      await store.addMany([entry(1, bytes), entry(2, bytes), entry(3, bytes), entry(4)], 3);
      expect(files()).toBe(2); // id-1 trimmed with its file; id-4 has none
      expect(Buffer.from((await store.source('id-2'))!)).toEqual(bytes);
      await store.add(entry(2, bytes)); // replaced: the old file goes, the new one stays
      expect(files()).toBe(2);
      await store.delete('id-3');
      expect(files()).toBe(1);
      await store.setImages('id-2', { thumbnail: Uint8Array.of(1), preview: Uint8Array.of(2) });
      expect(files()).toBe(0);
      await store.add(entry(5, bytes));
      await store.trim(0);
      expect(files()).toBe(0);

      await store.add(entry(6, bytes));
      writeFileSync(join(store.sourcesDir, 'left-by-a-crash'), 'x');
      db.close();
      db = openDatabase(join(dir, 'argus.db'));
      store = new SqliteHistoryStore(db);
      expect(readdirSync(store.sourcesDir)).toHaveLength(1);
      expect(Buffer.from((await store.source('id-6'))!)).toEqual(bytes);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
