import { embeddingBytes, embeddingFrom, type FaceGalleryStore, type GalleryBox, type GalleryEmbedding, type GalleryFace, type GalleryFilter, type NewGalleryFace } from '../face-gallery.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  id: string;
  name: string;
  owner: string;
  model: string;
  box: string;
  confidence: number;
  has_crop: number;
  created_at: number;
}

const COLUMNS = 'id, name, owner, model, box, confidence, crop IS NOT NULL AS has_crop, created_at';

const toFace = (row: Row): GalleryFace => ({
  id: row.id, name: row.name, owner: row.owner, model: row.model, box: JSON.parse(row.box) as GalleryBox,
  confidence: row.confidence, has_crop: row.has_crop === 1, created_at: row.created_at,
});

/** `WHERE` clauses and arguments of a filter; only fixed column names, values bound. */
function where(filter: GalleryFilter & { id?: string }): { sql: string; args: Record<string, unknown> } {
  const clauses: string[] = [];
  const args: Record<string, unknown> = {};
  for (const key of ['owner', 'name', 'id'] as const) {
    if (filter[key] === undefined) continue;
    clauses.push(`${key} = @${key}`);
    args[key] = filter[key];
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

/** The embedded gallery: one SQLite table in the data directory's database. */
export class SqliteFaceGalleryStore implements FaceGalleryStore {
  private readonly insertAll: (faces: NewGalleryFace[]) => void;

  constructor(private readonly db: SqliteDatabase) {
    const insert = db.prepare(`INSERT INTO face_gallery (id, name, owner, model, embedding, box, confidence, crop, created_at)
      VALUES (@id, @name, @owner, @model, @embedding, @box, @confidence, @crop, @created_at)`);
    this.insertAll = db.transaction((faces: NewGalleryFace[]) => {
      for (const face of faces) {
        insert.run({
          id: face.id, name: face.name, owner: face.owner, model: face.model, embedding: embeddingBytes(face.embedding),
          box: JSON.stringify(face.box), confidence: face.confidence, crop: face.crop ? Buffer.from(face.crop) : null, created_at: face.created_at,
        });
      }
    });
  }

  async add(faces: NewGalleryFace[]): Promise<void> {
    this.insertAll(faces);
  }

  async list(filter: GalleryFilter): Promise<GalleryFace[]> {
    const { sql, args } = where(filter);
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM face_gallery ${sql} ORDER BY name, created_at, id`).all(args) as Row[];
    return rows.map(toFace);
  }

  async embeddings(model: string, owner?: string): Promise<GalleryEmbedding[]> {
    const { sql, args } = where({ owner });
    const rows = this.db.prepare(`SELECT id, name, owner, embedding FROM face_gallery ${sql ? `${sql} AND` : 'WHERE'} model = @model ORDER BY name, created_at, id`)
      .all({ ...args, model }) as Array<{ id: string; name: string; owner: string; embedding: Buffer }>;
    return rows.map((r) => ({ id: r.id, name: r.name, owner: r.owner, embedding: embeddingFrom(r.embedding) }));
  }

  async crop(id: string, owner?: string): Promise<Uint8Array | undefined> {
    const { sql, args } = where({ owner, id });
    const bytes = this.db.prepare(`SELECT crop FROM face_gallery ${sql}`).pluck().get(args) as Buffer | null | undefined;
    return bytes ?? undefined;
  }

  async delete(target: GalleryFilter & { id?: string }): Promise<number> {
    if (target.name === undefined && target.id === undefined) throw new Error('delete needs a name or an id');
    const { sql, args } = where(target);
    return this.db.prepare(`DELETE FROM face_gallery ${sql}`).run(args).changes;
  }
}
