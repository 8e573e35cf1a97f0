import type { NearestOptions, StoredVector, VectorHit, VectorStore } from '../vectors.js';
import type { PgPool } from './database.js';
import { round6 } from '../../numbers.js';

interface Row {
  id: string;
  model: string;
  vector: number[];
  metadata: Record<string, unknown> | null;
  created_at: string;
  owner: string;
  score?: number;
}

function normalised(vector: Float32Array): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return Array.from(vector, (v) => v / norm);
}

/**
 * The vector index of a distributed deployment, shared by every API and worker node (migration
 * 010). Exact cosine search: a scan of one model's normalised vectors, the dot products summed
 * in PostgreSQL, so no node loads the index into memory. pgvector would add an ANN index; it is
 * not packaged for the PostgreSQL here, and exact search is fast enough for tens of thousands
 * of vectors (docs/architecture.md, "Vector index").
 */
export class PostgresVectorStore implements VectorStore {
  constructor(private readonly pool: PgPool) {}

  async put(entry: StoredVector): Promise<void> {
    await this.pool.query(
      `INSERT INTO embeddings (id, model, dim, vector, unit, metadata, created_at, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET model = EXCLUDED.model, dim = EXCLUDED.dim, vector = EXCLUDED.vector,
         unit = EXCLUDED.unit, metadata = EXCLUDED.metadata, created_at = EXCLUDED.created_at, owner = EXCLUDED.owner`,
      [entry.id, entry.model, entry.vector.length, Array.from(entry.vector), normalised(entry.vector),
        entry.metadata === undefined ? null : JSON.stringify(entry.metadata), entry.createdAt, entry.owner ?? ''],
    );
  }

  async get(id: string, owner?: string): Promise<StoredVector | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT id, model, vector, metadata, created_at, owner FROM embeddings WHERE id = $1 AND ($2::text IS NULL OR owner = $2)', [id, owner ?? null]);
    const row = rows[0];
    if (!row) return undefined;
    return { id: row.id, model: row.model, vector: Float32Array.from(row.vector), metadata: row.metadata ?? undefined, createdAt: Number(row.created_at), owner: row.owner };
  }

  async delete(id: string, owner?: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM embeddings WHERE id = $1 AND ($2::text IS NULL OR owner = $2)', [id, owner ?? null])).rowCount ?? 0) > 0;
  }

  async nearest(model: string, vector: Float32Array, k: number, options: NearestOptions = {}): Promise<VectorHit[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT id, metadata, created_at,
         (SELECT sum(a * b) FROM unnest(e.unit, $3::real[]) AS t(a, b)) AS score
       FROM embeddings e
       WHERE model = $1 AND dim = $2 AND id IS DISTINCT FROM $4 AND ($6::text IS NULL OR owner = $6)
       ORDER BY score DESC, id LIMIT $5`,
      [model, vector.length, normalised(vector), options.exclude ?? null, k, options.owner ?? null],
    );
    return rows.map((r) => ({ id: r.id, score: round6(Number(r.score)), metadata: r.metadata ?? undefined, createdAt: Number(r.created_at) }));
  }

  async count(model?: string): Promise<number> {
    const { rows } = model === undefined
      ? await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM embeddings')
      : await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM embeddings WHERE model = $1', [model]);
    return Number(rows[0].n);
  }
}
