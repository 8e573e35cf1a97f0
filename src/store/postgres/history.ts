import type { ErrorBody } from '../../errors.js';
import type { HistoryEntry, HistoryFacets, HistoryFilter, HistoryImages, HistoryOwner, HistoryPage, HistoryStore, HistorySummary, NewHistoryEntry } from '../history.js';
import type { PgPool } from './database.js';

interface Row {
  seq: string;
  id: string;
  kind: 'sync' | 'job';
  task: string;
  model: string;
  status: 'succeeded' | 'failed';
  labels: string[];
  summary: string;
  params?: unknown;
  result?: unknown;
  result_omitted: boolean;
  error: ErrorBody | null;
  text_input: string | null;
  width: number | null;
  height: number | null;
  total_ms: number | null;
  has_thumbnail: boolean;
  has_preview: boolean;
  created_at: string;
  owner: string;
}

// An entry whose JPEGs are still to be made from its source has them as far as readers are concerned.
const SUMMARY_COLUMNS = `seq, id, kind, task, model, status, labels, summary, result_omitted, error, text_input, width, height,
  total_ms, (thumbnail IS NOT NULL OR source IS NOT NULL) AS has_thumbnail, (preview IS NOT NULL OR source IS NOT NULL) AS has_preview,
  created_at, owner`;

function toSummary(row: Row): HistorySummary {
  return {
    id: row.id,
    kind: row.kind,
    task: row.task,
    model: row.model,
    status: row.status,
    labels: row.labels,
    summary: row.summary,
    result_omitted: row.result_omitted,
    error: row.error ?? undefined,
    text: row.text_input ?? undefined,
    width: row.width ?? undefined,
    height: row.height ?? undefined,
    total_ms: row.total_ms ?? undefined,
    has_thumbnail: row.has_thumbnail,
    has_preview: row.has_preview,
    created_at: Number(row.created_at),
    owner: row.owner,
  };
}

/** `AND owner = $n` for an owned reader (the owner appended to `args`); nothing for an unowned one. */
function ownedBy(owner: HistoryOwner, args: unknown[]): string {
  if (owner === undefined) return '';
  args.push(owner);
  return ` AND owner = $${args.length}`;
}

/** A Buffer over the same bytes (node-postgres sends only Buffers as bytea); no copy of a large upload. */
const bytea = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** Deletes all but the newest $1 entries. */
const TRIM = 'DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET $1)';

/**
 * The history in PostgreSQL (migration 050), for distributed mode: every API node records into
 * and lists from the same table, so the dashboard shows the same history whichever node answers.
 */
export class PostgresHistoryStore implements HistoryStore {
  constructor(private readonly pool: PgPool) {}

  async add(entry: NewHistoryEntry, keep?: number): Promise<void> {
    return this.addMany([entry], keep);
  }

  async addMany(entries: readonly NewHistoryEntry[], keep?: number): Promise<void> {
    // One transaction, so the table never holds more than `keep` entries as other nodes see it.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // A replaced entry takes a new seq, so it lists as the newest (as SQLite's INSERT OR REPLACE does).
      for (const entry of entries) {
        await client.query(
          `INSERT INTO history (id, kind, task, model, status, labels, summary, params, result, result_omitted, error, text_input, width, height, total_ms, thumbnail, preview, created_at, owner, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
           ON CONFLICT (id) DO UPDATE SET seq = nextval(pg_get_serial_sequence('history', 'seq')), kind = EXCLUDED.kind, task = EXCLUDED.task,
             model = EXCLUDED.model, status = EXCLUDED.status, labels = EXCLUDED.labels, summary = EXCLUDED.summary, params = EXCLUDED.params,
             result = EXCLUDED.result, result_omitted = EXCLUDED.result_omitted, error = EXCLUDED.error, text_input = EXCLUDED.text_input,
             width = EXCLUDED.width, height = EXCLUDED.height, total_ms = EXCLUDED.total_ms, thumbnail = EXCLUDED.thumbnail,
             preview = EXCLUDED.preview, created_at = EXCLUDED.created_at, owner = EXCLUDED.owner, source = EXCLUDED.source`,
          [
            entry.id, entry.kind, entry.task, entry.model, entry.status, JSON.stringify(entry.labels), entry.summary,
            json(entry.params), json(entry.result), entry.result_omitted, json(entry.error), entry.text ?? null,
            entry.width ?? null, entry.height ?? null, entry.total_ms ?? null,
            entry.thumbnail ? Buffer.from(entry.thumbnail) : null, entry.preview ? Buffer.from(entry.preview) : null, entry.created_at, entry.owner ?? '',
            entry.source ? bytea(entry.source) : null,
          ],
        );
      }
      if (keep !== undefined) await client.query(TRIM, [keep]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async list(filter: HistoryFilter): Promise<HistoryPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (value: unknown, clause: (n: string) => string) => {
      if (value === undefined) return;
      args.push(value);
      where.push(clause(`$${args.length}`));
    };
    add(filter.owner, (n) => `owner = ${n}`);
    add(filter.task, (n) => `task = ${n}`);
    add(filter.model, (n) => `model = ${n}`);
    add(filter.status, (n) => `status = ${n}`);
    add(filter.since, (n) => `created_at >= ${n}`);
    add(filter.until, (n) => `created_at < ${n}`);
    add(filter.before === undefined ? undefined : Number(filter.before), (n) => `seq < ${n}`);
    add(filter.label, (n) => `labels ? ${n}`);
    args.push(filter.limit + 1);
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${args.length}`;
    const { rows } = await this.pool.query<Row>(sql, args);
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    return { items: page.map(toSummary), next: more ? String(page[page.length - 1].seq) : undefined };
  }

  async get(id: string, owner?: HistoryOwner): Promise<HistoryEntry | undefined> {
    const args: unknown[] = [id];
    const { rows } = await this.pool.query<Row>(`SELECT ${SUMMARY_COLUMNS}, params, result FROM history WHERE id = $1${ownedBy(owner, args)}`, args);
    const row = rows[0];
    return row && { ...toSummary(row), params: row.params ?? undefined, result: row.result ?? undefined };
  }

  async image(id: string, which: 'thumbnail' | 'preview', owner?: HistoryOwner): Promise<Uint8Array | undefined> {
    // `which` is one of two literals, never user text, so it can name the column.
    const column = which === 'preview' ? 'preview' : 'thumbnail';
    const args: unknown[] = [id];
    const { rows } = await this.pool.query<{ bytes: Buffer | null }>(`SELECT ${column} AS bytes FROM history WHERE id = $1${ownedBy(owner, args)}`, args);
    return rows[0]?.bytes ?? undefined;
  }

  async source(id: string, owner?: HistoryOwner): Promise<Uint8Array | undefined> {
    const args: unknown[] = [id];
    const { rows } = await this.pool.query<{ bytes: Buffer | null }>(`SELECT source AS bytes FROM history WHERE id = $1${ownedBy(owner, args)}`, args);
    return rows[0]?.bytes ?? undefined;
  }

  async setImages(id: string, images: HistoryImages | undefined): Promise<void> {
    await this.pool.query('UPDATE history SET thumbnail = $2, preview = $3, source = NULL WHERE id = $1',
      [id, images ? Buffer.from(images.thumbnail) : null, images ? Buffer.from(images.preview) : null]);
  }

  async facets(owner?: HistoryOwner): Promise<HistoryFacets> {
    const where = owner === undefined ? '' : 'WHERE owner = $1';
    const args = owner === undefined ? [] : [owner];
    const distinct = async (sql: string) => (await this.pool.query<{ value: string }>(sql, args)).rows.map((r) => r.value);
    const [tasks, models, labels] = await Promise.all([
      distinct(`SELECT DISTINCT task AS value FROM history ${where} ORDER BY 1`),
      distinct(`SELECT DISTINCT model AS value FROM history ${where} ORDER BY 1`),
      distinct(`SELECT DISTINCT jsonb_array_elements_text(labels) AS value FROM history ${where} ORDER BY 1`),
    ]);
    return { tasks, models, labels };
  }

  async delete(id: string, owner?: HistoryOwner): Promise<boolean> {
    const args: unknown[] = [id];
    return ((await this.pool.query(`DELETE FROM history WHERE id = $1${ownedBy(owner, args)}`, args)).rowCount ?? 0) > 0;
  }

  async trim(keep: number): Promise<number> {
    const result = await this.pool.query(TRIM, [keep]);
    return result.rowCount ?? 0;
  }
}
