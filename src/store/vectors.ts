/**
 * The vector index behind similarity search: a narrow interface with an embedded implementation
 * (`sqlite/vectors.ts`: sqlite-vec, in Argus's own SQLite database) and a PostgreSQL one
 * (`postgres/vectors.ts`), both held to one suite (`vectors.conformance.ts`). Why sqlite-vec and not an HNSW
 * graph: docs/architecture.md ("Vector index"), measured by scripts/bench-ann.ts.
 */

/** One stored embedding. */
export interface StoredVector {
  /** The id of the request or job that stored it. */
  id: string;
  /** Alias of the model whose space the vector lives in; only vectors of one model are compared. */
  model: string;
  vector: Float32Array;
  metadata?: Record<string, unknown>;
  /** Unix milliseconds. */
  createdAt: number;
  /** The inference key that stored it; absent or '' when unowned (auth off, an admin key). */
  owner?: string;
}

/** A search answer: a stored embedding and its cosine similarity to the query (1 = same direction). */
export interface VectorHit {
  id: string;
  score: number;
  metadata?: Record<string, unknown>;
  createdAt: number;
}

export interface NearestOptions {
  /** Leave this id out (searching by a stored embedding does not return itself). */
  exclude?: string;
  /** Search only this owner's embeddings (an inference key's id); all of them when absent. */
  owner?: string;
}

/** Where embeddings are kept and searched. Exact or approximate is the implementation's choice, said in its docs. */
export interface VectorStore {
  /** Adds an embedding, replacing one with the same id. */
  put(entry: StoredVector): Promise<void>;
  /** One embedding; with `owner`, undefined when another owner's (as if it did not exist). */
  get(id: string, owner?: string): Promise<StoredVector | undefined>;
  /** Deletes an embedding; false when there was none with that id (or, with `owner`, it is another owner's). */
  delete(id: string, owner?: string): Promise<boolean>;
  /** The `k` stored embeddings of `model` nearest to `vector` by cosine similarity, best first. */
  nearest(model: string, vector: Float32Array, k: number, options?: NearestOptions): Promise<VectorHit[]>;
  /** How many embeddings are stored (of one model, when given). */
  count(model?: string): Promise<number>;
}
