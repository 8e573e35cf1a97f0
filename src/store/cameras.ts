/** A camera config as stored: what the client PUT, and when. */
export interface CameraRecord {
  id: string;
  config: unknown;
  created_at: number;
  updated_at: number;
}

/**
 * Where API-defined cameras persist. Narrow on purpose: `sqlite/cameras.ts` and
 * `postgres/cameras.ts` implement it and pass the same suite (`cameras.conformance.ts`).
 */
export interface CameraStore {
  get(id: string): Promise<CameraRecord | undefined>;
  /** Every camera, by id. */
  list(): Promise<CameraRecord[]>;
  /** Creates or replaces a camera; `created` is false when it replaced one. */
  put(id: string, config: unknown): Promise<{ record: CameraRecord; created: boolean }>;
  /** Deletes a camera; false when there was none. */
  delete(id: string): Promise<boolean>;
}
