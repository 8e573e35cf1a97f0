import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { PgPool } from '../store/postgres/database.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import type { InferenceService } from '../service/inference.js';

/** What a feature's service code is given at start: the inference service to register composite tasks on, config, log and the embedded database. */
export interface FeatureDeps {
  service: InferenceService;
  config: Config;
  log: Logger;
  db: SqliteDatabase;
  /** PostgreSQL in distributed mode: state every node must share (cameras) goes there instead. */
  pg?: PgPool;
}
