import type { SqliteDatabase } from './sqlite/database.js';

/** A face's box in the image it was registered from, in that image's pixels. */
export interface GalleryBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One registered face of a person, as listed (without its embedding and crop). */
export interface GalleryFace {
  id: string;
  /** The person's name (DeepStack's `userid`). */
  name: string;
  /** The API key id that registered it; '' when unowned (auth off, or an admin key). */
  owner: string;
  /** The faces model whose embedding this is; only embeddings of the same model are compared. */
  model: string;
  box: GalleryBox;
  /** The face detector's score for this face. */
  confidence: number;
  has_crop: boolean;
  /** Unix milliseconds. */
  created_at: number;
}

/** What is added: the face, its embedding and (optionally) a JPEG crop of it. */
export interface NewGalleryFace extends Omit<GalleryFace, 'has_crop'> {
  embedding: ArrayLike<number>;
  crop?: Uint8Array;
}

/** A face's embedding, for matching. */
export interface GalleryEmbedding {
  id: string;
  name: string;
  owner: string;
  embedding: Float32Array;
}

/** Which faces: `owner` undefined means every owner's (an admin, or auth off). */
export interface GalleryFilter {
  owner?: string;
  name?: string;
}

/**
 * Where the face gallery lives: SQLite (migration 080) embedded, PostgreSQL when distributed. Both
 * pass face-gallery.conformance.ts. Narrow on purpose: people are derived from faces by name.
 */
export interface FaceGalleryStore {
  /** Adds faces, all or none. */
  add(faces: NewGalleryFace[]): Promise<void>;
  /** Faces matching the filter, by name, then oldest first. */
  list(filter: GalleryFilter): Promise<GalleryFace[]>;
  /** The embeddings of one model's faces (an owner's, or everyone's). */
  embeddings(model: string, owner?: string): Promise<GalleryEmbedding[]>;
  /** A face's JPEG crop, if it has one and `owner` (when given) owns it. */
  crop(id: string, owner?: string): Promise<Uint8Array | undefined>;
  /** Deletes a person's faces (`name`) or one face (`id`), an owner's or anyone's; returns how many went. */
  delete(target: GalleryFilter & ({ name: string } | { id: string }) & { id?: string }): Promise<number>;
}

/** Float32 little-endian bytes of an embedding (4 bytes a value: 4 KiB for FaceRes's 1024). */
export function embeddingBytes(values: ArrayLike<number>): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buffer.writeFloatLE(values[i], i * 4);
  return buffer;
}

/** The embedding back from its bytes. */
export function embeddingFrom(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

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
