import type { CameraRecord, CameraStore } from '../cameras.js';
import type { PgPool } from './database.js';

interface Row {
  id: string;
  config: unknown;
  created_at: string;
  updated_at: string;
  created: boolean;
}

const toRecord = (row: Row): CameraRecord => ({ id: row.id, config: row.config, created_at: Number(row.created_at), updated_at: Number(row.updated_at) });

/** Cameras in PostgreSQL (migration 020): what API nodes and worker nodes of a deployment share. */
export class PostgresCameraStore implements CameraStore {
  constructor(private readonly pool: PgPool) {}

  async get(id: string): Promise<CameraRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM cameras WHERE id = $1', [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async list(): Promise<CameraRecord[]> {
    return (await this.pool.query<Row>('SELECT * FROM cameras ORDER BY id')).rows.map(toRecord);
  }

  async put(id: string, config: unknown): Promise<{ record: CameraRecord; created: boolean }> {
    const now = Date.now();
    // xmax = 0 only for a freshly inserted row: one statement tells created from replaced, race-free.
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO cameras (id, config, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
       RETURNING *, (xmax = 0) AS created`,
      [id, JSON.stringify(config), now],
    );
    return { record: toRecord(rows[0]), created: rows[0].created };
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM cameras WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
}
