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
