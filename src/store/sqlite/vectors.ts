import * as sqliteVec from 'sqlite-vec';
import type { NearestOptions, StoredVector, VectorHit, VectorStore } from '../vectors.js';
import type { SqliteDatabase } from './database.js';
import { round6 } from '../../numbers.js';

interface Row {
  seq: number;
  id: string;
  model: string;
  dim: number;
  metadata: string | null;
  created_at: number;
  owner: string;
}

const blob = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
const parse = (metadata: string | null) => (metadata === null ? undefined : (JSON.parse(metadata) as Record<string, unknown>));

/**
 * Embedded vector index on sqlite-vec: exact k-nearest search (a full scan of one model's
 * vectors, in C), durable in the same transaction as its row. One vec0 table per dimension,
 * partitioned by model, created on first use.
 */
export class SqliteVectorStore implements VectorStore {
  private readonly tables = new Set<number>();

  constructor(private readonly db: SqliteDatabase) {
    // Fails loudly on a platform sqlite-vec has no build for: search would not work at all.
    sqliteVec.load(db);
  }

  private table(dim: number): string {
    if (!Number.isInteger(dim) || dim < 1 || dim > 65536) throw new RangeError(`bad vector dimension ${dim}`);
    const name = `vec_embeddings_${dim}`;
    if (!this.tables.has(dim)) {
      this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(model TEXT PARTITION KEY, embedding float[${dim}] distance_metric=cosine)`);
      this.tables.add(dim);
    }
    return name;
  }

  private row(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM embeddings WHERE id = ?').get(id) as Row | undefined;
  }

  private remove(row: Row): void {
    this.db.prepare(`DELETE FROM ${this.table(row.dim)} WHERE rowid = ?`).run(BigInt(row.seq));
    this.db.prepare('DELETE FROM embeddings WHERE seq = ?').run(row.seq);
  }

  async put(entry: StoredVector): Promise<void> {
    const table = this.table(entry.vector.length);
    this.db.transaction(() => {
      const old = this.row(entry.id);
      if (old) this.remove(old);
      const { lastInsertRowid } = this.db
        .prepare('INSERT INTO embeddings (id, model, dim, metadata, created_at, owner) VALUES (?, ?, ?, ?, ?, ?)')
        .run(entry.id, entry.model, entry.vector.length, entry.metadata === undefined ? null : JSON.stringify(entry.metadata), entry.createdAt, entry.owner ?? '');
      this.db.prepare(`INSERT INTO ${table} (rowid, model, embedding) VALUES (?, ?, ?)`).run(BigInt(lastInsertRowid), entry.model, blob(entry.vector));
    })();
  }

  async get(id: string, owner?: string): Promise<StoredVector | undefined> {
    const row = this.row(id);
    if (!row || (owner !== undefined && row.owner !== owner)) return undefined;
    const bytes = this.db.prepare(`SELECT embedding FROM ${this.table(row.dim)} WHERE rowid = ?`).pluck().get(BigInt(row.seq)) as Buffer;
    const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { id: row.id, model: row.model, vector, metadata: parse(row.metadata), createdAt: row.created_at, owner: row.owner };
  }

  async delete(id: string, owner?: string): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.row(id);
      const mine = row !== undefined && (owner === undefined || row.owner === owner);
      if (mine) this.remove(row);
      return mine;
    })();
  }

  async nearest(model: string, vector: Float32Array, k: number, options: NearestOptions = {}): Promise<VectorHit[]> {
    const dims = this.db.prepare('SELECT DISTINCT dim FROM embeddings WHERE model = ?').pluck().all(model) as number[];
    if (!dims.includes(vector.length)) return [];
    const wanted = k + (options.exclude ? 1 : 0);
    type Hit = { id: string; metadata: string | null; created_at: number; distance: number };
    // One owner's embeddings: the same exact scan, with the owner in the WHERE clause (vec0's KNN
    // query filters only on its partition key, so it would find the k nearest of every owner and
    // leave this one fewer than k).
    const rows = options.owner !== undefined
      ? this.db.prepare(`
          SELECT e.id, e.metadata, e.created_at, vec_distance_cosine(v.embedding, ?) AS distance
          FROM embeddings e JOIN ${this.table(vector.length)} v ON v.rowid = e.seq
          WHERE e.model = ? AND e.dim = ? AND e.owner = ? ORDER BY distance, e.id LIMIT ?
        `).all(blob(vector), model, vector.length, options.owner, wanted) as Hit[]
      : this.db.prepare(`
          WITH hits AS (SELECT rowid, distance FROM ${this.table(vector.length)} WHERE embedding MATCH ? AND k = ? AND model = ?)
          SELECT e.id, e.metadata, e.created_at, hits.distance FROM hits JOIN embeddings e ON e.seq = hits.rowid ORDER BY hits.distance, e.id
        `).all(blob(vector), wanted, model) as Hit[];
    return rows
      .filter((r) => r.id !== options.exclude)
      .slice(0, k)
      .map((r) => ({ id: r.id, score: round6(1 - r.distance), metadata: parse(r.metadata), createdAt: r.created_at }));
  }

  async count(model?: string): Promise<number> {
    const sql = model === undefined ? 'SELECT count(*) FROM embeddings' : 'SELECT count(*) FROM embeddings WHERE model = ?';
    return this.db.prepare(sql).pluck().get(...(model === undefined ? [] : [model])) as number;
  }
}
