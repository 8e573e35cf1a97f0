import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { ErrorBody } from '../../errors.js';
import type { HistoryEntry, HistoryFacets, HistoryFilter, HistoryImages, HistoryOwner, HistoryPage, HistoryStore, HistorySummary, NewHistoryEntry } from '../history.js';
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

// An entry whose JPEGs are still to be made from its source has them as far as readers are concerned.
const SUMMARY_COLUMNS = `seq, id, kind, task, model, status, labels, summary, result_omitted, error, text_input, width, height,
  total_ms, (thumbnail IS NOT NULL OR source_file IS NOT NULL) AS has_thumbnail, (preview IS NOT NULL OR source_file IS NOT NULL) AS has_preview,
  created_at, owner`;

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

/** Removes files of entries that are gone; one already gone is fine. */
function unlinkAllSync(dir: string, names: ReadonlyArray<string | null | undefined>): void {
  for (const name of names) {
    if (!name) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Already gone (a sweep, or a second delete): nothing to free.
    }
  }
}

/**
 * The same off the event loop (file system calls on this ext4 took up to 0.5 ms each under
 * other processes' writes, in which the loop would serve nothing); one already gone is fine.
 */
async function unlinkAll(dir: string, names: ReadonlyArray<string | null | undefined>): Promise<void> {
  await Promise.all(names.map((name) => name && unlink(join(dir, name)).catch(() => undefined)));
}

/** Where an entry's source lies: a file of {@link SqliteHistoryStore.sourcesDir}, at `offset`, `length` bytes. */
interface SourcePlace {
  file: string;
  offset: number;
  length: number;
}

/** `length` bytes of a file from `offset`; fails when the file is shorter. */
async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await file.read(bytes, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new Error(`${path} ends before byte ${offset + length}`);
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await file.close();
  }
}

/**
 * The embedded history: one SQLite table, its JPEGs as BLOBs beside their rows. An entry's input
 * image, kept until its JPEGs are made, lies in a file in `history-sources/` beside the database
 * (its name in `source_file`, where in it in `source_offset` and `source_length`): writing a file
 * costs a quarter of the CPU of a BLOB, which SQLite writes page by page into the WAL and again
 * at the checkpoint. The entries of one {@link addMany} share one file ("pack"), written with one
 * open and one close. A file goes, after the commit, once no row names it (its
 * entries trimmed, deleted, replaced, made into JPEGs); files a crash left without a row are
 * removed when the store opens.
 */
export class SqliteHistoryStore implements HistoryStore {
  // The statements every recorded request runs, compiled once: preparing them per call cost about
  // 0.2 ms of the API process's time per request.
  private readonly insert: Statement;
  private readonly trimStatement: Statement;
  private readonly addAndTrim: (rows: Array<Record<string, unknown>>, keep: number | undefined) => unknown[];
  private readonly sourceStatement: Statement;
  private readonly setImagesStatement: Statement;
  private readonly sourceFileOf: Statement;
  private readonly fileInUse: Statement;
  /** Of the files the rows that went named, those no row names any more. */
  private readonly unusedFiles: (names: ReadonlyArray<unknown>) => string[];
  /** Where input images wait for their JPEGs. */
  readonly sourcesDir: string;

  constructor(private readonly db: SqliteDatabase) {
    this.insert = db.prepare(`INSERT OR REPLACE INTO history
      (id, kind, task, model, status, labels, summary, params, result, result_omitted, error, text_input, width, height, total_ms, thumbnail, preview, source_file, source_offset, source_length, created_at, owner)
      VALUES (@id, @kind, @task, @model, @status, @labels, @summary, @params, @result, @result_omitted, @error, @text_input, @width, @height, @total_ms, @thumbnail, @preview, @source_file, @source_offset, @source_length, @created_at, @owner)`);
    // RETURNING: the files of the rows that went, to remove after the commit.
    this.trimStatement = db.prepare('DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET @keep) RETURNING source_file').pluck();
    this.sourceFileOf = db.prepare('SELECT source_file FROM history WHERE id = @id').pluck();
    this.addAndTrim = db.transaction((rows: Array<Record<string, unknown>>, keep: number | undefined) => {
      const gone: unknown[] = [];
      for (const row of rows) {
        gone.push(this.sourceFileOf.get({ id: row.id })); // an entry replaced under the same id
        this.insert.run(row);
      }
      if (keep !== undefined) gone.push(...this.trimStatement.all({ keep }));
      return this.unusedFiles(gone);
    });
    this.fileInUse = db.prepare('SELECT 1 FROM history WHERE source_file = ? LIMIT 1').pluck();
    this.unusedFiles = (names) => [...new Set(names.filter((n): n is string => typeof n === 'string'))].filter((name) => this.fileInUse.get(name) === undefined);
    this.sourceStatement = db.prepare('SELECT source_file AS file, source_offset AS offset, source_length AS length FROM history WHERE id = @id AND (@owner IS NULL OR owner = @owner)');
    this.setImagesStatement = db.prepare('UPDATE history SET thumbnail = @thumbnail, preview = @preview, source_file = NULL, source_offset = NULL, source_length = NULL WHERE id = @id');
    this.sourcesDir = db.memory ? mkdtempSync(join(tmpdir(), 'argus-history-sources-')) : join(dirname(db.name), 'history-sources');
    mkdirSync(this.sourcesDir, { recursive: true });
    const kept = new Set(db.prepare('SELECT source_file FROM history WHERE source_file IS NOT NULL').pluck().all() as string[]);
    unlinkAllSync(this.sourcesDir, readdirSync(this.sourcesDir).filter((name) => !kept.has(name)));
  }

  async add(entry: NewHistoryEntry, keep?: number): Promise<void> {
    return this.addMany([entry], keep);
  }

  async addMany(entries: readonly NewHistoryEntry[], keep?: number): Promise<void> {
    const sources = entries.flatMap((entry) => (entry.source ? [entry.source] : []));
    const pack = sources.length ? randomUUID() : null;
    let gone: string[];
    try {
      // Written off the event loop, before the rows that name it: one open and close per batch.
      if (pack) await writeFile(join(this.sourcesDir, pack), sources, { flag: 'wx' });
      let offset = 0;
      gone = this.addAndTrim(entries.map((entry) => {
        const length = entry.source?.byteLength;
        const row = this.rowOf(entry, length === undefined ? null : { file: pack!, offset, length });
        offset += length ?? 0;
        return row;
      }), keep) as string[];
    } catch (error) {
      await unlinkAll(this.sourcesDir, [pack]);
      throw error;
    }
    await unlinkAll(this.sourcesDir, gone);
  }

  private rowOf(entry: NewHistoryEntry, source: SourcePlace | null): Record<string, unknown> {
    return {
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
      source_file: source?.file ?? null,
      source_offset: source?.offset ?? null,
      source_length: source?.length ?? null,
      created_at: entry.created_at,
      owner: entry.owner ?? '',
    };
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

  async source(id: string, owner?: HistoryOwner): Promise<Uint8Array | undefined> {
    const place = this.sourceStatement.get({ id, owner: owner ?? null }) as { file: string | null; offset: number | null; length: number | null } | undefined;
    if (!place?.file) return undefined;
    const path = join(this.sourcesDir, place.file);
    // Removed meanwhile (trimmed, or its JPEGs made): no source.
    if (place.offset === null || place.length === null) return readFile(path).catch(() => undefined);
    return readRange(path, place.offset, place.length).catch(() => undefined);
  }

  async setImages(id: string, images: HistoryImages | undefined): Promise<void> {
    const gone = this.db.transaction(() => {
      // RETURNING would give the new value (NULL): the file is read before.
      const name = this.sourceFileOf.get({ id });
      this.setImagesStatement.run({ id, thumbnail: images ? asBuffer(images.thumbnail) : null, preview: images ? asBuffer(images.preview) : null });
      return this.unusedFiles([name]);
    })();
    await unlinkAll(this.sourcesDir, gone);
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
    const statement = this.db.prepare(`DELETE FROM history WHERE id = @id${owned.clause} RETURNING source_file`).pluck();
    return (await this.removeRows(() => statement.all({ id, ...owned.args }))) > 0;
  }

  async trim(keep: number): Promise<number> {
    return this.removeRows(() => this.trimStatement.all({ keep }));
  }

  /** Runs a DELETE … RETURNING source_file, removes the files no row names any more, and returns how many rows went. */
  private async removeRows(remove: () => unknown[]): Promise<number> {
    const { count, unused } = this.db.transaction(() => {
      const files = remove();
      return { count: files.length, unused: this.unusedFiles(files) };
    })();
    await unlinkAll(this.sourcesDir, unused);
    return count;
  }
}
