import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../config/load.js';
import type { FilesStore } from '../../store/files.js';
import { SqliteFilesStore } from '../../store/sqlite/files.js';
import { openDatabase } from '../../store/sqlite/database.js';
import { FilesService, type FilesServiceDeps } from './service.js';

describe('FilesService.each (what the CSV export streams)', () => {
  it('reads 100 000 images in id order, never more than one page of 500 at a time', async () => {
    const db = openDatabase(':memory:');
    const insert = db.prepare(`INSERT INTO files (filename, content_type, size_bytes, sha256, width, height, blob_key, uploaded_at, processed_at, model, top_label, top_confidence)
      VALUES (?, 'image/jpeg', 1000, ?, 640, 480, ?, ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (let i = 1; i <= 100_000; i++) {
        const processed = i % 3 !== 0;
        insert.run(`car-${i}.jpg`, String(i).padStart(64, '0'), `file-${i}.jpg`, i, processed ? i : null, processed ? 'squeezenet' : null, processed ? 'minibus' : null, processed ? 0.5 : null);
      }
    })();
    const sqlite = new SqliteFilesStore(db);
    const pages: number[] = [];
    // The real store, with each page's size recorded.
    const store: FilesStore = Object.assign(Object.create(sqlite) as FilesStore, {
      page: async (...args: Parameters<FilesStore['page']>) => {
        const page = await sqlite.page(...args);
        pages.push(page.length);
        return page;
      },
    });
    const files = new FilesService({ store, config: {} as Config, log: pino({ level: 'silent' }) } as unknown as FilesServiceDeps);
    let count = 0;
    let last = 0;
    for await (const file of files.each()) {
      expect(file.id).toBeGreaterThan(last);
      last = file.id;
      count++;
    }
    expect(count).toBe(100_000);
    expect(Math.max(...pages)).toBe(500);
    expect(pages).toHaveLength(201);
    let processed = 0;
    for await (const file of files.each({ processed: true })) {
      expect(file.recognition?.model.alias).toBe('squeezenet');
      processed++;
    }
    expect(processed).toBe(66_667);
    db.close();
  });
});
