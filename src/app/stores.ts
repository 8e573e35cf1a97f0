/**
 * The stores a node keeps its state in, chosen by deployment: the embedded SQLite database (one
 * node) or PostgreSQL (every node of a distributed deployment sees the same cameras, vectors,
 * faces, files and history). The one place that names the implementations.
 */
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import type { FeatureStores } from '../features/deps.js';
import type { HistoryStore } from '../store/history.js';
import { FileBlobStore } from '../store/fs/blobs.js';
import { PostgresBlobStore } from '../store/postgres/blobs.js';
import { PostgresCameraStore } from '../store/postgres/cameras.js';
import type { PgPool } from '../store/postgres/database.js';
import { PostgresFaceGalleryStore } from '../store/postgres/face-gallery.js';
import { PostgresFilesStore } from '../store/postgres/files.js';
import { PostgresHistoryStore } from '../store/postgres/history.js';
import { PostgresVectorStore } from '../store/postgres/vectors.js';
import { SqliteCameraStore } from '../store/sqlite/cameras.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import { SqliteFaceGalleryStore } from '../store/sqlite/face-gallery.js';
import { SqliteFilesStore } from '../store/sqlite/files.js';
import { SqliteHistoryStore } from '../store/sqlite/history.js';
import { SqliteVectorStore } from '../store/sqlite/vectors.js';

export interface Stores extends FeatureStores {
  /** The dashboard's history of requests and jobs. */
  history: HistoryStore;
}

/** One node's stores: its SQLite database, and stored files' bytes under `<dataDir>/files/`. */
export function embeddedStores(db: SqliteDatabase, config: Config): Stores {
  return {
    cameras: new SqliteCameraStore(db),
    vectors: new SqliteVectorStore(db),
    gallery: new SqliteFaceGalleryStore(db),
    files: new SqliteFilesStore(db),
    fileBlobs: new FileBlobStore(join(config.dataDir, 'files')),
    history: new SqliteHistoryStore(db),
  };
}

/** The stores every node of a distributed deployment shares, in PostgreSQL (file bytes in its blob table, no TTL). */
export function sharedStores(pool: PgPool): Stores {
  return {
    cameras: new PostgresCameraStore(pool),
    vectors: new PostgresVectorStore(pool),
    gallery: new PostgresFaceGalleryStore(pool),
    files: new PostgresFilesStore(pool),
    fileBlobs: new PostgresBlobStore(pool),
    history: new PostgresHistoryStore(pool),
  };
}
