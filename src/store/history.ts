import type { ErrorBody } from '../errors.js';
/** One finished request or job as the history keeps it. */
export interface HistoryEntry {
  /** The result's id (for an async job, the job's id). */
  id: string;
  kind: 'sync' | 'job';
  task: string;
  model: string;
  status: 'succeeded' | 'failed';
  /** Distinct labels the result names (detections, classes, …), for filtering. */
  labels: string[];
  /** One line for lists: "4 person, 1 bus", "minibus 0.31", "7 lines". */
  summary: string;
  params?: unknown;
  result?: unknown;
  /** The result was larger than the history keeps; `result` is absent. */
  result_omitted: boolean;
  error?: ErrorBody;
  /** The request's text input (prompts, CLIP text), when it had one. */
  text?: string;
  /** Size of the input image after EXIF orientation (the space result coordinates are in). */
  width?: number;
  height?: number;
  total_ms?: number;
  has_thumbnail: boolean;
  has_preview: boolean;
  /** Unix milliseconds. */
  created_at: number;
  /** The inference key whose request made it; '' when unowned (auth off, an admin key). */
  owner: string;
}

/** A row of a listing: the entry without its params and result. */
export type HistorySummary = Omit<HistoryEntry, 'params' | 'result'>;

/**
 * What is added: the entry and either its JPEG images or the input image they are to be made from
 * later (`source`); none when the request had no image.
 */
export interface NewHistoryEntry extends Omit<HistoryEntry, 'has_thumbnail' | 'has_preview' | 'owner'> {
  /** The inference key whose request made it; absent or '' when unowned. */
  owner?: string;
  thumbnail?: Uint8Array;
  preview?: Uint8Array;
  /** The input image as it came, kept until its preview and thumbnail are made ({@link HistoryStore.setImages}). */
  source?: Uint8Array;
}

/** An entry's two JPEGs, made from its source. */
export interface HistoryImages {
  thumbnail: Uint8Array;
  preview: Uint8Array;
}

/**
 * Whose entries a read may see: an inference key's id sees only its own; undefined (an admin key,
 * auth off) sees all.
 */
export type HistoryOwner = string | undefined;

export interface HistoryFilter {
  owner?: HistoryOwner;
  task?: string;
  model?: string;
  label?: string;
  status?: 'succeeded' | 'failed';
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
  /** Cursor from a previous page's `next`: entries older than it. */
  before?: string;
  limit: number;
}

export interface HistoryPage {
  items: HistorySummary[];
  /** Cursor for the next (older) page, when there is one. */
  next?: string;
}

/** Distinct values present in the history, for filter menus. */
export interface HistoryFacets {
  tasks: string[];
  models: string[];
  labels: string[];
}

/**
 * Where the result history lives. Narrow so that a PostgreSQL implementation can follow; the
 * embedded one is a SQLite table (migration 050) holding at most the service's configured size.
 */
export interface HistoryStore {
  /**
   * Adds an entry (replacing one with the same id); with `keep`, then deletes all but the newest
   * `keep` entries, in the same transaction.
   */
  add(entry: NewHistoryEntry, keep?: number): Promise<void>;
  /** Adds entries in order (each later one the newer) and trims as {@link add} does, all in one transaction. */
  addMany(entries: readonly NewHistoryEntry[], keep?: number): Promise<void>;
  list(filter: HistoryFilter): Promise<HistoryPage>;
  /** One entry; with `owner`, undefined when another owner's (as if it did not exist). Same rule for the methods below. */
  get(id: string, owner?: HistoryOwner): Promise<HistoryEntry | undefined>;
  /** A stored JPEG; undefined while it is still to be made from the entry's source. */
  image(id: string, which: 'thumbnail' | 'preview', owner?: HistoryOwner): Promise<Uint8Array | undefined>;
  /** The input image of an entry whose JPEGs are not made yet; undefined once they are (or when it had none). */
  source(id: string, owner?: HistoryOwner): Promise<Uint8Array | undefined>;
  /**
   * Stores the JPEGs made from an entry's source and drops the source; `undefined` (the source
   * could not be decoded) drops it and leaves the entry without images. Nothing when the entry is gone.
   */
  setImages(id: string, images: HistoryImages | undefined): Promise<void>;
  facets(owner?: HistoryOwner): Promise<HistoryFacets>;
  /** Deletes one entry; false when there was none (or it is another owner's). */
  delete(id: string, owner?: HistoryOwner): Promise<boolean>;
  /** Deletes all but the newest `keep` entries; returns how many went. */
  trim(keep: number): Promise<number>;
}
