import type { BlobStore } from '../blobs.js';
import type { PgPool } from './database.js';

/** Blobs in PostgreSQL: durable, shared by every node; used for the inputs of async jobs. */
export class PostgresBlobStore implements BlobStore {
  constructor(private readonly pool: PgPool, private readonly ttlMs?: number) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const now = Date.now();
    await this.pool.query(
      `INSERT INTO blobs (key, bytes, created_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET bytes = EXCLUDED.bytes, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
      [key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), now, this.ttlMs ? now + this.ttlMs : null],
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { rows } = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE key = $1', [key]);
    return rows[0]?.bytes;
  }

  async delete(key: string): Promise<void> {
    await this.pool.query('DELETE FROM blobs WHERE key = $1', [key]);
  }

  /** Deletes blobs past their expiry (inputs of jobs that were never cleaned up). */
  async purgeExpired(now = Date.now()): Promise<number> {
    return (await this.pool.query('DELETE FROM blobs WHERE expires_at < $1', [now])).rowCount ?? 0;
  }
}
