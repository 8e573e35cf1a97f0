import type { Statement } from 'better-sqlite3';
import type { ErrorBody } from '../../errors.js';
import type { HistoryEntry, HistoryFacets, HistoryFilter, HistoryOwner, HistoryPage, HistoryStore, HistorySummary, NewHistoryEntry } from '../history.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  seq: number;
  id: string;
  kind: 'sync' | 'job';
  task: string;
  model: string;
  status: 'succeeded' | 'failed';
  labels: string;
  summary: string;
  params?: string | null;
  result?: string | null;
  result_omitted: number;
  error: string | null;
  text_input: string | null;
  width: number | null;
  height: number | null;
  total_ms: number | null;
  has_thumbnail: number;
  has_preview: number;
  created_at: number;
  owner: string;
}

const SUMMARY_COLUMNS = `seq, id, kind, task, model, status, labels, summary, result_omitted, error, text_input, width, height,
  total_ms, thumbnail IS NOT NULL AS has_thumbnail, preview IS NOT NULL AS has_preview, created_at, owner`;

/** better-sqlite3 binds only Buffers as BLOBs: wrap a plain Uint8Array without copying its bytes. */
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

const parse = (text: string | null | undefined): unknown => (text === null || text === undefined ? undefined : JSON.parse(text));

function toSummary(row: Row): HistorySummary {
  return {
    id: row.id,
    kind: row.kind,
    task: row.task,
    model: row.model,
    status: row.status,
    labels: JSON.parse(row.labels) as string[],
    summary: row.summary,
    result_omitted: row.result_omitted === 1,
    error: parse(row.error) as ErrorBody | undefined,
    text: row.text_input ?? undefined,
    width: row.width ?? undefined,
    height: row.height ?? undefined,
    total_ms: row.total_ms ?? undefined,
    has_thumbnail: row.has_thumbnail === 1,
    has_preview: row.has_preview === 1,
    created_at: row.created_at,
    owner: row.owner,
  };
}

/** The SQL condition and argument that keep a read to one owner's rows (none for an unowned reader). */
const ownedBy = (owner: HistoryOwner) => (owner === undefined ? { clause: '', args: {} } : { clause: ' AND owner = @owner', args: { owner } });

/** The embedded history: one SQLite table, images as BLOBs beside their rows. */
export class SqliteHistoryStore implements HistoryStore {
  // The statements every recorded request runs, compiled once: preparing them per call cost about
  // 0.2 ms of the API process's time per request.
  private readonly insert: Statement;
  private readonly trimStatement: Statement;
  private readonly addAndTrim: (row: Record<string, unknown>, keep: number | undefined) => void;

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(`INSERT OR REPLACE INTO history
      (id, kind, task, model, status, labels, summary, params, result, result_omitted, error, text_input, width, height, total_ms, thumbnail, preview, created_at, owner)
      VALUES (@id, @kind, @task, @model, @status, @labels, @summary, @params, @result, @result_omitted, @error, @text_input, @width, @height, @total_ms, @thumbnail, @preview, @created_at, @owner)`);
    this.trimStatement = db.prepare('DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET @keep)');
    this.addAndTrim = db.transaction((row: Record<string, unknown>, keep: number | undefined) => {
      this.insert.run(row);
      if (keep !== undefined) this.trimStatement.run({ keep });
    });
  }

  async add(entry: NewHistoryEntry, keep?: number): Promise<void> {
    this.addAndTrim({
      id: entry.id,
      kind: entry.kind,
      task: entry.task,
      model: entry.model,
      status: entry.status,
      labels: JSON.stringify(entry.labels),
      summary: entry.summary,
      params: entry.params === undefined ? null : JSON.stringify(entry.params),
      result: entry.result === undefined ? null : JSON.stringify(entry.result),
      result_omitted: entry.result_omitted ? 1 : 0,
      error: entry.error === undefined ? null : JSON.stringify(entry.error),
      text_input: entry.text ?? null,
      width: entry.width ?? null,
      height: entry.height ?? null,
      total_ms: entry.total_ms ?? null,
      thumbnail: entry.thumbnail ? asBuffer(entry.thumbnail) : null,
      preview: entry.preview ? asBuffer(entry.preview) : null,
      created_at: entry.created_at,
      owner: entry.owner ?? '',
    }, keep);
  }

  async list(filter: HistoryFilter): Promise<HistoryPage> {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: filter.limit + 1 };
    const add = (value: unknown, clause: string, name: string) => {
      if (value === undefined) return;
      where.push(clause);
      args[name] = value;
    };
    add(filter.owner, 'owner = @owner', 'owner');
    add(filter.task, 'task = @task', 'task');
    add(filter.model, 'model = @model', 'model');
    add(filter.status, 'status = @status', 'status');
    add(filter.since, 'created_at >= @since', 'since');
    add(filter.until, 'created_at < @until', 'until');
    add(filter.before === undefined ? undefined : Number(filter.before), 'seq < @before', 'before');
    add(filter.label, 'EXISTS (SELECT 1 FROM json_each(history.labels) WHERE json_each.value = @label)', 'label');
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    const rows = this.db.prepare(sql).all(args) as Row[];
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    return { items: page.map(toSummary), next: more ? String(page[page.length - 1].seq) : undefined };
  }

  async get(id: string, owner?: HistoryOwner): Promise<HistoryEntry | undefined> {
    const owned = ownedBy(owner);
    const row = this.db.prepare(`SELECT ${SUMMARY_COLUMNS}, params, result FROM history WHERE id = @id${owned.clause}`).get({ id, ...owned.args }) as Row | undefined;
    return row && { ...toSummary(row), params: parse(row.params), result: parse(row.result) };
  }

  async image(id: string, which: 'thumbnail' | 'preview', owner?: HistoryOwner): Promise<Uint8Array | undefined> {
    // `which` is one of two literals, never user text, so it can name the column.
    const column = which === 'preview' ? 'preview' : 'thumbnail';
    const owned = ownedBy(owner);
    const bytes = this.db.prepare(`SELECT ${column} FROM history WHERE id = @id${owned.clause}`).pluck().get({ id, ...owned.args }) as Buffer | null | undefined;
    return bytes ?? undefined;
  }

  async facets(owner?: HistoryOwner): Promise<HistoryFacets> {
    const where = owner === undefined ? '' : 'WHERE owner = @owner';
    const distinct = (sql: string) => this.db.prepare(sql).pluck().all(owner === undefined ? {} : { owner }) as string[];
    return {
      tasks: distinct(`SELECT DISTINCT task FROM history ${where} ORDER BY task`),
      models: distinct(`SELECT DISTINCT model FROM history ${where} ORDER BY model`),
      labels: distinct(`SELECT DISTINCT json_each.value FROM history, json_each(history.labels) ${where} ORDER BY 1`),
    };
  }

  async delete(id: string, owner?: HistoryOwner): Promise<boolean> {
    const owned = ownedBy(owner);
    return this.db.prepare(`DELETE FROM history WHERE id = @id${owned.clause}`).run({ id, ...owned.args }).changes > 0;
  }

  async trim(keep: number): Promise<number> {
    return this.trimStatement.run({ keep }).changes;
  }
}
