/**
 * Stored images and their recognition (the files API, the car recognizer's surface): a narrow
 * interface with an embedded implementation (`sqlite/files.ts`) and a PostgreSQL one
 * (`postgres/files.ts`), both held to one suite (`files.conformance.ts`). Image bytes are not
 * here: they live in a blob store under each row's `blobKey`.
 */

/** One prediction, as the classify task returns it. */
export interface StoredPrediction {
  label: string;
  class_id: number;
  confidence: number;
}

/** The latest recognition of an image. */
export interface Recognition {
  model: { alias: string; sha256?: string };
  /** The label set a zero-shot model chose from (e.g. `stanford-cars`); absent for a fixed-label classifier. */
  labelSet?: string;
  /** Best first. */
  predictions: StoredPrediction[];
  /** Milliseconds per stage, as the result reported them. */
  timings: Record<string, number>;
  /** Unix milliseconds. */
  processedAt: number;
}

/** What an upload adds. */
export interface NewFile {
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  width: number;
  height: number;
  blobKey: string;
  /** Unix milliseconds. */
  uploadedAt: number;
  /** The API key id that stored it; '' (the default) with auth off or for an admin key. */
  owner?: string;
}

export interface StoredFile extends NewFile {
  /** The image_id: 1, 2, 3, …, never reused. */
  id: number;
  recognition?: Recognition;
}

export interface FileFilter {
  /** true: recognized images only; false: not yet recognized only. */
  processed?: boolean;
  /** Top prediction equal to this label (case-insensitive). */
  label?: string;
  /** Uploaded at or after (Unix ms). */
  from?: number;
  /** Uploaded before (Unix ms). */
  to?: number;
  /** Stored by this owner (an API key id) only. */
  owner?: string;
}

export interface FileListQuery extends FileFilter {
  /** Most images in the page; absent: every matching one (the original listed all). */
  limit?: number;
  offset: number;
  /** By image_id. @defaultValue 'asc' */
  order?: 'asc' | 'desc';
}

export interface FileStats {
  total: number;
  processed: number;
  /**
   * Recognized images per top label, most first; ties in the order their first image was stored,
   * as the original's `Counter.most_common` over its files ordered them.
   */
  labels: Array<{ label: string; count: number }>;
  /** Top-prediction confidences in ten bins: [0, 0.1), [0.1, 0.2), …, [0.9, 1]. */
  confidence: number[];
  /** Mean `inference_ms` of recognized images; null when none is. */
  meanInferenceMs: number | null;
  /** Recognized images per model, most first. */
  models: Array<{ model: string; count: number }>;
}

/** Where stored images' metadata and recognitions are kept. */
export interface FilesStore {
  /** Adds an image; its id is the next one. */
  insert(file: NewFile): Promise<StoredFile>;
  get(id: number): Promise<StoredFile | undefined>;
  /** A page of images matching the filter, and how many match in all. */
  list(query: FileListQuery): Promise<{ items: StoredFile[]; total: number }>;
  /** Up to `limit` images after `afterId`, by id (keyset paging: exports stream through these). */
  page(afterId: number, limit: number, filter?: FileFilter): Promise<StoredFile[]>;
  /** How many images match the filter. */
  count(filter?: FileFilter): Promise<number>;
  /** Records a recognition (replacing any earlier one); undefined when the image is gone. */
  setRecognition(id: number, recognition: Recognition): Promise<StoredFile | undefined>;
  /** Forgets the recognition, so the next inference computes it again; undefined when the image is gone. */
  clearRecognition(id: number): Promise<StoredFile | undefined>;
  /** Deletes the row and returns what it was (its blob keys are the caller's to delete); undefined when there was none. */
  delete(id: number): Promise<StoredFile | undefined>;
  /** Statistics of every image, or of one owner's. */
  stats(owner?: string): Promise<FileStats>;
}

/** A row as both databases return it (PostgreSQL gives BIGINTs as strings and JSONB parsed). */
export interface FileRow {
  id: number | string;
  filename: string;
  content_type: string;
  size_bytes: number | string;
  sha256: string;
  width: number;
  height: number;
  blob_key: string;
  uploaded_at: number | string;
  processed_at: number | string | null;
  model: string | null;
  model_sha256: string | null;
  label_set: string | null;
  predictions: string | StoredPrediction[] | null;
  timings: string | Record<string, number> | null;
  owner?: string;
}

const json = <T>(value: string | T | null): T | undefined => (value === null ? undefined : typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** A row as a {@link StoredFile}; shared by both implementations. */
export function fileFromRow(row: FileRow): StoredFile {
  const file: StoredFile = {
    id: Number(row.id),
    filename: row.filename,
    contentType: row.content_type,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    blobKey: row.blob_key,
    uploadedAt: Number(row.uploaded_at),
    // Only an owned row carries an owner, so rows stored with auth off read as before.
    ...(row.owner && { owner: row.owner }),
  };
  if (row.processed_at !== null && row.model !== null) {
    file.recognition = {
      model: { alias: row.model, ...(row.model_sha256 && { sha256: row.model_sha256 }) },
      ...(row.label_set && { labelSet: row.label_set }),
      predictions: json<StoredPrediction[]>(row.predictions) ?? [],
      timings: json<Record<string, number>>(row.timings) ?? {},
      processedAt: Number(row.processed_at),
    };
  }
  return file;
}

/** The values of a recognition's columns, in the order both implementations write them. */
export function recognitionColumns(r: Recognition) {
  const top = r.predictions[0];
  return {
    processed_at: r.processedAt,
    model: r.model.alias,
    model_sha256: r.model.sha256 ?? null,
    label_set: r.labelSet ?? null,
    top_label: top?.label ?? null,
    top_confidence: top?.confidence ?? null,
    inference_ms: r.timings.inference_ms ?? null,
    predictions: JSON.stringify(r.predictions),
    timings: JSON.stringify(r.timings),
  };
}

/** Ten confidence bins from `{bin, n}` rows (bin 0–9). */
export function confidenceBins(rows: Array<{ bin: number | string; n: number | string }>): number[] {
  const bins = new Array<number>(10).fill(0);
  for (const { bin, n } of rows) bins[Math.min(9, Math.max(0, Number(bin)))] += Number(n);
  return bins;
}
