import type { SqliteDatabase } from './sqlite/database.js';

/** A camera config as stored: what the client PUT, and when. */
export interface CameraRecord {
  id: string;
  config: unknown;
  created_at: number;
  updated_at: number;
}

/**
 * Where API-defined cameras persist. Narrow on purpose, so a PostgreSQL implementation can follow
 * and pass the same suite (`cameras.test.ts`'s `describeCameraStore`).
 */
export interface CameraStore {
  get(id: string): Promise<CameraRecord | undefined>;
  /** Every camera, by id. */
  list(): Promise<CameraRecord[]>;
  /** Creates or replaces a camera; `created` is false when it replaced one. */
  put(id: string, config: unknown): Promise<{ record: CameraRecord; created: boolean }>;
  /** Deletes a camera; false when there was none. */
  delete(id: string): Promise<boolean>;
}

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
