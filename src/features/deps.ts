import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { BlobStore } from '../store/blobs.js';
import type { CameraStore } from '../store/cameras.js';
import type { FaceGalleryStore } from '../store/face-gallery.js';
import type { FilesStore } from '../store/files.js';
import type { VectorStore } from '../store/vectors.js';
import type { InferenceService } from '../service/inference.js';

/**
 * The state the composite features keep, as interfaces. The composition root picks the backend:
 * the embedded SQLite database (and `<dataDir>/files/`) on one node, PostgreSQL when nodes share
 * it (distributed mode), so features never know which (see `app/stores.ts`).
 */
export interface FeatureStores {
  /** API-defined cameras. */
  cameras: CameraStore;
  /** The embeddings index behind similarity search. */
  vectors: VectorStore;
  /** Registered faces. */
  gallery: FaceGalleryStore;
  /** Stored images and their recognition (the files API). */
  files: FilesStore;
  /** The stored images' bytes; they never expire. */
  fileBlobs: BlobStore;
}

/** What a feature's service code is given at start: the inference service to register composite tasks on, config, log and its stores. */
export interface FeatureDeps {
  service: InferenceService;
  config: Config;
  log: Logger;
  stores: FeatureStores;
}
