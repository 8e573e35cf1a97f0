/**
 * Implementations: `fs/blobs.ts` (files in a folder: embedded uploads and stored files),
 * `postgres/blobs.ts` (async-job inputs and files in distributed mode), `redis/blobs.ts`
 * (sync-request images with a TTL).
 */
/** Bytes stored by key: uploads waiting for their job, stored files, thumbnails. */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or undefined when the key does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}
