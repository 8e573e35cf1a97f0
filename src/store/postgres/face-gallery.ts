import { embeddingBytes, embeddingFrom, type FaceGalleryStore, type GalleryBox, type GalleryEmbedding, type GalleryFace, type GalleryFilter, type NewGalleryFace } from '../face-gallery.js';
import type { PgPool } from './database.js';

interface Row {
  id: string;
  name: string;
  owner: string;
  model: string;
  box: GalleryBox;
  confidence: number;
  has_crop: boolean;
  created_at: string;
}

// COLLATE "C": names sort byte by byte, as SQLite's default (BINARY) does, whatever the database's locale.
const ORDER = 'ORDER BY name COLLATE "C", created_at, id';

const toFace = (row: Row): GalleryFace => ({
  id: row.id, name: row.name, owner: row.owner, model: row.model, box: row.box,
  confidence: row.confidence, has_crop: row.has_crop, created_at: Number(row.created_at),
});

/** `WHERE` clauses of a filter with numbered parameters; only fixed column names, values bound. */
function where(filter: GalleryFilter & { id?: string }, args: unknown[] = []): { sql: string; args: unknown[] } {
  const clauses: string[] = [];
  for (const key of ['owner', 'name', 'id'] as const) {
    if (filter[key] === undefined) continue;
    args.push(filter[key]);
    clauses.push(`${key} = $${args.length}`);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

/** The face gallery in PostgreSQL (migration 080), shared by every node of a distributed deployment. */
export class PostgresFaceGalleryStore implements FaceGalleryStore {
  constructor(private readonly pool: PgPool) {}

  async add(faces: NewGalleryFace[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const face of faces) {
        await client.query(
          `INSERT INTO face_gallery (id, name, owner, model, embedding, box, confidence, crop, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [face.id, face.name, face.owner, face.model, embeddingBytes(face.embedding), JSON.stringify(face.box), face.confidence, face.crop ? Buffer.from(face.crop) : null, face.created_at],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async list(filter: GalleryFilter): Promise<GalleryFace[]> {
    const { sql, args } = where(filter);
    const { rows } = await this.pool.query<Row>(`SELECT id, name, owner, model, box, confidence, crop IS NOT NULL AS has_crop, created_at FROM face_gallery ${sql} ${ORDER}`, args);
    return rows.map(toFace);
  }

  async embeddings(model: string, owner?: string): Promise<GalleryEmbedding[]> {
    const { sql, args } = where({ owner }, [model]);
    const { rows } = await this.pool.query<{ id: string; name: string; owner: string; embedding: Buffer }>(
      `SELECT id, name, owner, embedding FROM face_gallery ${sql ? `${sql} AND` : 'WHERE'} model = $1 ${ORDER}`, args);
    return rows.map((r) => ({ id: r.id, name: r.name, owner: r.owner, embedding: embeddingFrom(r.embedding) }));
  }

  async crop(id: string, owner?: string): Promise<Uint8Array | undefined> {
    const { sql, args } = where({ owner, id });
    const { rows } = await this.pool.query<{ crop: Buffer | null }>(`SELECT crop FROM face_gallery ${sql}`, args);
    return rows[0]?.crop ?? undefined;
  }

  async delete(target: GalleryFilter & { id?: string }): Promise<number> {
    if (target.name === undefined && target.id === undefined) throw new Error('delete needs a name or an id');
    const { sql, args } = where(target);
    return (await this.pool.query(`DELETE FROM face_gallery ${sql}`, args)).rowCount ?? 0;
  }
}
