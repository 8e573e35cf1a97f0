import {
  confidenceBins, fileFromRow, recognitionColumns,
  type FileFilter, type FileListQuery, type FileRow, type FileStats, type FilesStore, type NewFile, type Recognition, type StoredFile,
} from '../files.js';
import type { PgPool } from './database.js';

/** Stored images in PostgreSQL (migration 040): what every API node of a deployment shares. */
export class PostgresFilesStore implements FilesStore {
  constructor(private readonly pool: PgPool) {}

  private where(filter: FileFilter = {}, afterId?: number): { sql: string; args: unknown[] } {
    const clauses: string[] = [];
    const args: unknown[] = [];
    const add = (clause: (n: number) => string, value?: unknown) => {
      if (value !== undefined) args.push(value);
      clauses.push(clause(args.length));
    };
    if (afterId !== undefined) add((n) => `id > $${n}`, afterId);
    if (filter.processed !== undefined) add(() => (filter.processed ? 'processed_at IS NOT NULL' : 'processed_at IS NULL'));
    if (filter.label !== undefined) add((n) => `lower(top_label) = lower($${n})`, filter.label);
    if (filter.from !== undefined) add((n) => `uploaded_at >= $${n}`, filter.from);
    if (filter.to !== undefined) add((n) => `uploaded_at < $${n}`, filter.to);
    if (filter.owner !== undefined) add((n) => `owner = $${n}`, filter.owner);
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
  }

  async insert(file: NewFile): Promise<StoredFile> {
    const { rows } = await this.pool.query<FileRow>(
      `INSERT INTO files (filename, content_type, size_bytes, sha256, width, height, blob_key, uploaded_at, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [file.filename, file.contentType, file.sizeBytes, file.sha256, file.width, file.height, file.blobKey, file.uploadedAt, file.owner ?? ''],
    );
    return fileFromRow(rows[0]);
  }

  async get(id: number): Promise<StoredFile | undefined> {
    const { rows } = await this.pool.query<FileRow>('SELECT * FROM files WHERE id = $1', [id]);
    return rows[0] && fileFromRow(rows[0]);
  }

  async list(query: FileListQuery): Promise<{ items: StoredFile[]; total: number }> {
    const { sql, args } = this.where(query);
    const order = query.order === 'desc' ? 'DESC' : 'ASC';
    const { rows } = await this.pool.query<FileRow>(
      `SELECT * FROM files ${sql} ORDER BY id ${order} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, query.limit ?? null, query.offset], // LIMIT NULL: no limit
    );
    return { items: rows.map(fileFromRow), total: await this.count(query) };
  }

  async page(afterId: number, limit: number, filter?: FileFilter): Promise<StoredFile[]> {
    const { sql, args } = this.where(filter, afterId);
    const { rows } = await this.pool.query<FileRow>(`SELECT * FROM files ${sql} ORDER BY id LIMIT $${args.length + 1}`, [...args, limit]);
    return rows.map(fileFromRow);
  }

  async count(filter?: FileFilter): Promise<number> {
    const { sql, args } = this.where(filter);
    const { rows } = await this.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM files ${sql}`, args);
    return Number(rows[0].n);
  }

  async setRecognition(id: number, recognition: Recognition): Promise<StoredFile | undefined> {
    const c = recognitionColumns(recognition);
    const { rows } = await this.pool.query<FileRow>(
      `UPDATE files SET processed_at = $2, model = $3, model_sha256 = $4, label_set = $5, top_label = $6, top_confidence = $7,
         inference_ms = $8, predictions = $9, timings = $10
       WHERE id = $1 RETURNING *`,
      [id, c.processed_at, c.model, c.model_sha256, c.label_set, c.top_label, c.top_confidence, c.inference_ms, c.predictions, c.timings],
    );
    return rows[0] && fileFromRow(rows[0]);
  }

  async clearRecognition(id: number): Promise<StoredFile | undefined> {
    const { rows } = await this.pool.query<FileRow>(
      `UPDATE files SET processed_at = NULL, model = NULL, model_sha256 = NULL, label_set = NULL, top_label = NULL,
         top_confidence = NULL, inference_ms = NULL, predictions = NULL, timings = NULL
       WHERE id = $1 RETURNING *`,
      [id],
    );
    return rows[0] && fileFromRow(rows[0]);
  }

  async delete(id: number): Promise<StoredFile | undefined> {
    const { rows } = await this.pool.query<FileRow>('DELETE FROM files WHERE id = $1 RETURNING *', [id]);
    return rows[0] && fileFromRow(rows[0]);
  }

  async stats(owner?: string): Promise<FileStats> {
    const mine = owner === undefined ? '' : ' AND owner = $1';
    const args = owner === undefined ? [] : [owner];
    // One snapshot (REPEATABLE READ): the numbers agree with each other while uploads go on.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const totals = (await client.query<{ total: string; processed: string; mean: number | null }>(
        `SELECT COUNT(*) AS total, COUNT(processed_at) AS processed, AVG(inference_ms) AS mean FROM files WHERE TRUE${mine}`, args,
      )).rows[0];
      const processed = `FROM files WHERE processed_at IS NOT NULL${mine}`;
      const labels = (await client.query<{ label: string; count: string }>(
        `SELECT top_label AS label, COUNT(*) AS count ${processed} AND top_label IS NOT NULL GROUP BY top_label ORDER BY count DESC, MIN(id)`, args,
      )).rows;
      const bins = (await client.query<{ bin: number; n: string }>(
        `SELECT LEAST(FLOOR(top_confidence * 10)::int, 9) AS bin, COUNT(*) AS n ${processed} AND top_confidence IS NOT NULL GROUP BY bin`, args,
      )).rows;
      const models = (await client.query<{ model: string; count: string }>(
        `SELECT model, COUNT(*) AS count ${processed} GROUP BY model ORDER BY count DESC, model COLLATE "C"`, args,
      )).rows;
      await client.query('COMMIT');
      return {
        total: Number(totals.total),
        processed: Number(totals.processed),
        labels: labels.map((l) => ({ label: l.label, count: Number(l.count) })),
        confidence: confidenceBins(bins),
        meanInferenceMs: totals.mean === null ? null : Number(totals.mean),
        models: models.map((m) => ({ model: m.model, count: Number(m.count) })),
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
