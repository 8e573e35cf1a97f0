import {
  confidenceBins, fileFromRow, recognitionColumns,
  type FileFilter, type FileListQuery, type FileRow, type FileStats, type FilesStore, type NewFile, type Recognition, type StoredFile,
} from '../files.js';
import type { SqliteDatabase } from './database.js';

/** The embedded store: the `files` table of Argus's SQLite database (migration 040). */
export class SqliteFilesStore implements FilesStore {
  constructor(private readonly db: SqliteDatabase) {}

  private where(filter: FileFilter = {}, afterId?: number): { sql: string; args: unknown[] } {
    const clauses: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      clauses.push(clause);
      args.push(...values);
    };
    if (afterId !== undefined) add('id > ?', afterId);
    if (filter.processed !== undefined) add(filter.processed ? 'processed_at IS NOT NULL' : 'processed_at IS NULL');
    if (filter.label !== undefined) add('top_label = ? COLLATE NOCASE', filter.label);
    if (filter.from !== undefined) add('uploaded_at >= ?', filter.from);
    if (filter.to !== undefined) add('uploaded_at < ?', filter.to);
    if (filter.owner !== undefined) add('owner = ?', filter.owner);
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
  }

  async insert(file: NewFile): Promise<StoredFile> {
    const row = this.db.prepare(`
      INSERT INTO files (filename, content_type, size_bytes, sha256, width, height, blob_key, uploaded_at, owner)
      VALUES (@filename, @contentType, @sizeBytes, @sha256, @width, @height, @blobKey, @uploadedAt, @owner) RETURNING *`).get({ ...file, owner: file.owner ?? '' }) as FileRow;
    return fileFromRow(row);
  }

  async get(id: number): Promise<StoredFile | undefined> {
    const row = this.db.prepare('SELECT * FROM files WHERE id = ?').get(id) as FileRow | undefined;
    return row && fileFromRow(row);
  }

  async list(query: FileListQuery): Promise<{ items: StoredFile[]; total: number }> {
    const { sql, args } = this.where(query);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.db.prepare(`SELECT * FROM files ${sql} ORDER BY id ${order} LIMIT ? OFFSET ?`).all(...args, query.limit ?? -1, query.offset) as FileRow[];
    return { items: rows.map(fileFromRow), total: await this.count(query) };
  }

  async page(afterId: number, limit: number, filter?: FileFilter): Promise<StoredFile[]> {
    const { sql, args } = this.where(filter, afterId);
    return (this.db.prepare(`SELECT * FROM files ${sql} ORDER BY id LIMIT ?`).all(...args, limit) as FileRow[]).map(fileFromRow);
  }

  async count(filter?: FileFilter): Promise<number> {
    const { sql, args } = this.where(filter);
    return this.db.prepare(`SELECT COUNT(*) FROM files ${sql}`).pluck().get(...args) as number;
  }

  async setRecognition(id: number, recognition: Recognition): Promise<StoredFile | undefined> {
    const row = this.db.prepare(`
      UPDATE files SET processed_at = @processed_at, model = @model, model_sha256 = @model_sha256, label_set = @label_set,
        top_label = @top_label, top_confidence = @top_confidence, inference_ms = @inference_ms, predictions = @predictions, timings = @timings
      WHERE id = @id RETURNING *`).get({ id, ...recognitionColumns(recognition) }) as FileRow | undefined;
    return row && fileFromRow(row);
  }

  async clearRecognition(id: number): Promise<StoredFile | undefined> {
    const row = this.db.prepare(`
      UPDATE files SET processed_at = NULL, model = NULL, model_sha256 = NULL, label_set = NULL, top_label = NULL,
        top_confidence = NULL, inference_ms = NULL, predictions = NULL, timings = NULL
      WHERE id = ? RETURNING *`).get(id) as FileRow | undefined;
    return row && fileFromRow(row);
  }

  async delete(id: number): Promise<StoredFile | undefined> {
    const row = this.db.prepare('DELETE FROM files WHERE id = ? RETURNING *').get(id) as FileRow | undefined;
    return row && fileFromRow(row);
  }

  async stats(owner?: string): Promise<FileStats> {
    const mine = owner === undefined ? '' : ' AND owner = @owner';
    const args = owner === undefined ? {} : { owner };
    // One read transaction: the numbers agree with each other even while uploads go on.
    return this.db.transaction(() => {
      const totals = this.db.prepare(`SELECT COUNT(*) AS total, COUNT(processed_at) AS processed, AVG(inference_ms) AS mean FROM files WHERE 1 = 1${mine}`).get(args) as {
        total: number; processed: number; mean: number | null;
      };
      const processed = `FROM files WHERE processed_at IS NOT NULL${mine}`;
      const labels = this.db.prepare(`SELECT top_label AS label, COUNT(*) AS count ${processed} AND top_label IS NOT NULL GROUP BY top_label ORDER BY count DESC, MIN(id)`).all(args) as FileStats['labels'];
      const bins = this.db.prepare(`SELECT MIN(CAST(top_confidence * 10 AS INTEGER), 9) AS bin, COUNT(*) AS n ${processed} AND top_confidence IS NOT NULL GROUP BY bin`).all(args) as Array<{ bin: number; n: number }>;
      const models = this.db.prepare(`SELECT model, COUNT(*) AS count ${processed} GROUP BY model ORDER BY count DESC, model`).all(args) as FileStats['models'];
      return { total: totals.total, processed: totals.processed, labels, confidence: confidenceBins(bins), meanInferenceMs: totals.mean, models };
    })();
  }
}
