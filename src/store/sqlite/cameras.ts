import type { CameraRecord, CameraStore } from '../cameras.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  id: string;
  config: string;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: Row): CameraRecord => ({ id: row.id, config: JSON.parse(row.config), created_at: row.created_at, updated_at: row.updated_at });

/** The embedded store's cameras table (migration 020). */
export class SqliteCameraStore implements CameraStore {
  constructor(private readonly db: SqliteDatabase) {}

  async get(id: string): Promise<CameraRecord | undefined> {
    const row = this.db.prepare('SELECT id, config, created_at, updated_at FROM cameras WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async list(): Promise<CameraRecord[]> {
    return (this.db.prepare('SELECT id, config, created_at, updated_at FROM cameras ORDER BY id').all() as Row[]).map(toRecord);
  }

  async put(id: string, config: unknown): Promise<{ record: CameraRecord; created: boolean }> {
    // One transaction: two concurrent PUTs of the same id cannot both report that they created it.
    return this.db.transaction(() => {
      const existed = this.db.prepare('SELECT 1 FROM cameras WHERE id = ?').get(id) !== undefined;
      const now = Date.now();
      const row = this.db.prepare(`
        INSERT INTO cameras (id, config, created_at, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at
        RETURNING id, config, created_at, updated_at`).get(id, JSON.stringify(config), now, now) as Row;
      return { record: toRecord(row), created: !existed };
    })();
  }

  async delete(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM cameras WHERE id = ?').run(id).changes > 0;
  }
}
