/**
 * Stored images and their recognition (the car recognizer's API): uploads checked as the original
 * checked them (name, extension, size, content) and then by their pixels, kept in a blob store with
 * their metadata in a {@link FilesStore}; recognition of one image or of a batch (answered at once,
 * as the original did; a batch larger than `recognizeBatchSyncMax` runs as the async composite job
 * `files.recognize`, with progress); listings, statistics, a streamed export and the data of the
 * HTML report. It returns stored files; the compatibility routes write them in the original's
 * shapes (http/routes/compat/recognizer-views.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import Type, { type Static } from 'typebox';
import type { Config } from '../../config/load.js';
import { ArgusError, errors } from '../../errors.js';
import type { JobRecord } from '../../jobs/types.js';
import type { Catalog } from '../../models/catalog.js';
import type { BlobStore } from '../../store/blobs.js';
import type { FileFilter, FileListQuery, FileStats, FilesStore, Recognition, StoredFile } from '../../store/files.js';
import { makeThumbnails } from '../../vision/thumbnail.js';
import type { FeatureDeps } from '../deps.js';
import { checkUpload, type IncomingFile } from './checks.js';
import { RecognizerChoice, recognitionOf, recognitionRequest } from './recognizer.js';
import type { CompositeCall, InferenceService, TaskRequest, TaskResult } from '../../service/inference.js';
import type { SearchService } from '../search/service.js';

/** The composite task a large inference batch runs as. */
export const RECOGNIZE_TASK = 'files.recognize';

/** Most image ids one inference batch may name. */
export const MAX_BATCH_IDS = 10_000;

export const RecognizeParams = Type.Object(
  { image_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_BATCH_IDS, description: 'Stored images to recognize.' }) },
  { additionalProperties: false },
);
export type RecognizeParams = Static<typeof RecognizeParams>;

export type { IncomingFile };

export interface BatchProblem {
  id: number;
  code: string;
  message: string;
}

/** A stored image with its recognition; `cached`: it was stored already, nothing was computed. */
export interface Recognized {
  file: StoredFile & { recognition: Recognition };
  cached: boolean;
}

/** A batch of the car recognizer's API, answered at once. */
export interface SyncBatch {
  /** One per id sent that was recognized, in the order sent (a repeated id is answered again). */
  results: Recognized[];
  /** The ids skipped (not found, or failed), each with why. */
  skipped: BatchProblem[];
}

/** Several images recognized: the model that answered, each image recognized, each skipped with why. */
export interface BatchRecognition {
  model: { alias: string; sha256?: string };
  results: Recognized[];
  errors: BatchProblem[];
}

/** A recognition in a batch job's result (read through GET /v1/jobs/{id}): Argus's own shape, times in ISO 8601. */
function recognitionRecord({ file, cached }: Recognized) {
  const r = file.recognition;
  return {
    id: file.id,
    filename: file.filename,
    predictions: r.predictions,
    model: r.model,
    ...(r.labelSet !== undefined && { label_set: r.labelSet }),
    timings: r.timings,
    processed_at: new Date(r.processedAt).toISOString(),
    cached,
  };
}

const recognized = (file: StoredFile, cached: boolean): Recognized => ({ file: file as Recognized['file'], cached });

/** An error as a batch item reports it; anything that is not an Argus error is logged and reported as internal. */
function problemOf(error: unknown): { code: string; message: string; status: number } {
  if (error instanceof ArgusError) return { code: error.code, message: error.message, status: error.status };
  return { code: 'internal_error', message: 'Internal error; see the server log.', status: 500 };
}

export interface FilesServiceDeps {
  store: FilesStore;
  blobs: BlobStore;
  service: InferenceService;
  config: Config;
  log: FeatureDeps['log'];
  recognizer: RecognizerChoice;
  /** The vector index, for `filesIndex` (recognized images also embedded) and for deletes. */
  search?: SearchService;
}

/** Files one sync batch recognizes at once: enough to keep a model's workers busy, not to flood its queue. */
const SYNC_BATCH_CONCURRENCY = 4;

export class FilesService {
  constructor(private readonly deps: FilesServiceDeps) {}

  /** The largest stored image, in bytes. */
  get maxBytes(): number {
    return this.deps.config.fileMaxBytes || this.deps.config.maxUploadBytes;
  }

  /** Stores one image, once {@link checkUpload} has passed it (each refusal a 400, as the original's). */
  async upload(file: IncomingFile, owner?: string): Promise<StoredFile> {
    const { config, blobs, store } = this.deps;
    const info = await checkUpload(file, { maxBytes: this.maxBytes, maxPixels: config.maxPixels });
    const blobKey = `file-${randomUUID()}.${info.format === 'jpeg' ? 'jpg' : 'png'}`;
    await blobs.put(blobKey, file.bytes);
    try {
      return await store.insert({
        filename: file.filename,
        contentType: info.contentType,
        sizeBytes: file.bytes.length,
        sha256: createHash('sha256').update(file.bytes).digest('hex'),
        width: info.width,
        height: info.height,
        blobKey,
        uploadedAt: Date.now(),
        owner: owner ?? '',
      });
    } catch (error) {
      await blobs.delete(blobKey).catch(() => undefined);
      throw error;
    }
  }

  /** Stores every acceptable image of a batch and says why each other one was refused. */
  async uploadBatch(files: IncomingFile[], owner?: string): Promise<{ stored: StoredFile[]; failed: Array<{ filename: string; code: string; message: string; status: number }> }> {
    const stored: StoredFile[] = [];
    const failed = [];
    for (const file of files) {
      try {
        stored.push(await this.upload(file, owner));
      } catch (error) {
        if (!(error instanceof ArgusError)) this.deps.log.error({ err: error, filename: file.filename }, 'storing an uploaded file failed');
        failed.push({ filename: file.filename, ...problemOf(error) });
      }
    }
    if (stored.length === 0 && failed.length > 0) throw errors.noValidFiles(failed);
    return { stored, failed };
  }

  /**
   * A stored image. With `owner` (an inference key's id), another owner's image is not found: the
   * same 404 as for an id that does not exist. Every method taking `owner` reads under this rule.
   */
  async get(id: number, owner?: string): Promise<StoredFile> {
    const file = await this.deps.store.get(id);
    if (!file || (owner !== undefined && (file.owner ?? '') !== owner)) throw errors.fileNotFound(id);
    return file;
  }

  /** A stored image's bytes. */
  async content(id: number, owner?: string): Promise<{ file: StoredFile; bytes: Buffer }> {
    const file = await this.get(id, owner);
    const bytes = await this.deps.blobs.get(file.blobKey);
    if (!bytes) throw errors.internal(`The bytes of image ${id} (${file.blobKey}) are missing from the blob store.`);
    return { file, bytes };
  }

  /** A page of images (every matching one when `limit` is absent) and how many match. */
  list(query: FileListQuery): Promise<{ items: StoredFile[]; total: number }> {
    return this.deps.store.list(query);
  }

  /** Deletes an image and everything kept about it: row (with predictions), bytes, thumbnail, vector-index entry. */
  async delete(id: number, owner?: string): Promise<StoredFile> {
    if (owner !== undefined) await this.get(id, owner);
    const file = await this.deps.store.delete(id);
    if (!file) throw errors.fileNotFound(id);
    await Promise.all([this.deps.blobs.delete(file.blobKey), this.deps.blobs.delete(thumbnailKey(file))]);
    await this.deps.search?.forget(indexId(id)).catch((error: unknown) => this.deps.log.warn({ err: error, image: id }, 'could not remove a deleted file from the vector index'));
    return file;
  }

  /**
   * Deletes every image (an inference key's own only), as the original's `DELETE /files/`; an image
   * another request deletes meanwhile is not counted. Returns how many this call deleted.
   */
  async deleteAll(owner?: string): Promise<number> {
    let count = 0;
    // Pages go by id, so deleting what a page held does not move the next page.
    for await (const file of this.each(owner === undefined ? {} : { owner })) {
      try {
        await this.delete(file.id);
        count++;
      } catch (error) {
        if (!(error instanceof ArgusError && error.code === 'file_not_found')) throw error;
      }
    }
    return count;
  }

  /** Forgets an image's predictions, so the next inference computes them again. */
  async reprocess(id: number, owner?: string): Promise<StoredFile> {
    if (owner !== undefined) await this.get(id, owner);
    const file = await this.deps.store.clearRecognition(id);
    if (!file) throw errors.fileNotFound(id);
    await this.deps.search?.forget(indexId(id)).catch(() => undefined);
    return file;
  }

  /** What /healthz should say about recognition: a recognizer that is not a car model, or none. */
  notices(): string[] {
    const notice = this.deps.recognizer.notice();
    return notice ? [notice] : [];
  }

  /** The model recognizing images now (a 503 when there is none). */
  recognizer() {
    return this.deps.recognizer.current();
  }

  /**
   * Recognizes a stored image, or returns its stored recognition. `run` is the service's (sync,
   * interactive) or a composite call's (a batch job, at batch priority).
   */
  async recognize(id: number, run: (request: TaskRequest) => Promise<TaskResult> = (r) => this.deps.service.run(r), owner?: string): Promise<Recognized> {
    const { store, blobs, config, search } = this.deps;
    const file = await this.get(id, owner);
    if (file.recognition) return recognized(file, true);
    const bytes = await blobs.get(file.blobKey);
    if (!bytes) throw errors.internal(`The bytes of image ${id} (${file.blobKey}) are missing from the blob store.`);
    const recognizer = this.deps.recognizer.current();
    const result = await run(recognitionRequest(recognizer, config, { bytes }));
    const updated = await store.setRecognition(id, recognitionOf(recognizer, result));
    if (!updated) throw errors.fileNotFound(id);
    if (config.filesIndex && search) {
      const top = updated.recognition!.predictions[0];
      // Owned like the file: its owner's searches find it, other keys' do not.
      await search.indexImage(indexId(id), { bytes }, { metadata: { image_id: id, filename: file.filename, ...(top && { label: top.label }) }, owner: file.owner || undefined });
    }
    return recognized(updated, false);
  }

  /** Recognizes several images (duplicates once), reporting each failure; `progress` hears `{done, total}`. */
  async recognizeMany(ids: number[], run?: (request: TaskRequest) => Promise<TaskResult>, progress?: (value: { done: number; total: number }) => void, owner?: string): Promise<BatchRecognition> {
    const unique = [...new Set(ids)];
    const model = this.deps.recognizer.current().manifest;
    const results: Array<Recognized | undefined> = new Array(unique.length);
    const problems: Array<BatchProblem | undefined> = new Array(unique.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < unique.length) {
        const index = next++;
        const id = unique[index];
        try {
          results[index] = await this.recognize(id, run, owner);
        } catch (error) {
          if (!(error instanceof ArgusError)) this.deps.log.error({ err: error, image: id }, 'recognizing a stored image failed');
          const { code, message } = problemOf(error);
          problems[index] = { id, code, message };
        }
        progress?.({ done: ++done, total: unique.length });
      }
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_BATCH_CONCURRENCY, unique.length) }, worker));
    const computed = results.find((r) => r && !r.cached);
    return {
      model: computed?.file.recognition.model ?? { alias: model.alias },
      results: results.filter((r): r is Recognized => r !== undefined),
      errors: problems.filter((p): p is BatchProblem => p !== undefined),
    };
  }

  /**
   * An inference batch as the original answered it: each id sent that could be recognized, in
   * order, the others skipped (and logged); a 400 when none could be (an empty list too). Past
   * `recognizeBatchSyncMax` distinct ids it is accepted as an async job instead.
   */
  async recognizeBatch(ids: number[], owner?: string): Promise<{ sync: SyncBatch } | { job: JobRecord }> {
    const { config, service, log } = this.deps;
    if (ids.length === 0) throw errors.noImageRecognized([]);
    const unique = [...new Set(ids)];
    if (unique.length > config.recognizeBatchSyncMax) {
      return { job: await service.submit({ task: RECOGNIZE_TASK, params: { image_ids: unique }, owner }) };
    }
    const outcome = await this.recognizeMany(unique, undefined, undefined, owner);
    if (outcome.results.length === 0) throw errors.noImageRecognized(outcome.errors);
    if (outcome.errors.length > 0) log.info({ skipped: outcome.errors }, `inference batch: ${outcome.errors.length} of ${unique.length} images skipped`);
    const byId = new Map(outcome.results.map((r) => [r.file.id, r]));
    return { sync: { results: ids.flatMap((id) => byId.get(id) ?? []), skipped: outcome.errors } };
  }

  /** The composite task behind a batch job. */
  readonly runBatchJob = async (call: CompositeCall) => {
    if (call.image || call.images?.length || call.text) throw errors.badRequest(`Task ${RECOGNIZE_TASK} takes image_ids, not images or text.`);
    const { image_ids } = call.params as RecognizeParams;
    // The job reads as whoever submitted it: their images only (all with auth off or for an admin).
    const { model, results, errors: problems } = await this.recognizeMany(image_ids, call.run, call.progress, call.owner);
    return { model, results: results.map(recognitionRecord), errors: problems };
  };

  stats(owner?: string): Promise<FileStats> {
    return this.deps.store.stats(owner);
  }

  /** Every image matching the filter, by id, read page by page (an export of any size holds one page at a time). */
  async *each(filter: FileFilter = {}, pageSize = 500): AsyncGenerator<StoredFile> {
    let after = 0;
    for (;;) {
      const page = await this.deps.store.page(after, pageSize, filter);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].id;
    }
  }

  count(filter?: FileFilter): Promise<number> {
    return this.deps.store.count(filter);
  }

  /** A JPEG thumbnail of a stored image, made on first use and kept beside it. */
  async thumbnail(file: StoredFile): Promise<Buffer | undefined> {
    const { blobs, config, log } = this.deps;
    const key = thumbnailKey(file);
    const kept = await blobs.get(key);
    if (kept) return kept;
    const bytes = await blobs.get(file.blobKey);
    if (!bytes) return undefined;
    try {
      const { thumbnail } = await makeThumbnails(bytes, { maxPixels: config.maxPixels, previewSide: 160, thumbnailSide: 96 });
      await blobs.put(key, thumbnail);
      return thumbnail;
    } catch (error) {
      log.warn({ err: error, image: file.id }, 'could not make a thumbnail');
      return undefined;
    }
  }

  /** What the HTML report shows: the statistics and the most recent images with thumbnails. */
  async report(recent = 20, owner?: string): Promise<{ stats: FileStats; recent: Array<{ file: StoredFile; thumbnail?: Buffer }>; recognizer?: string }> {
    const stats = await this.stats(owner);
    const { items } = await this.list({ limit: recent, offset: 0, order: 'desc', owner });
    const withThumbs = [];
    for (const file of items) withThumbs.push({ file, thumbnail: await this.thumbnail(file) });
    let recognizer: string | undefined;
    try {
      recognizer = this.recognizer().manifest.alias;
    } catch {
      recognizer = undefined;
    }
    return { stats, recent: withThumbs, recognizer };
  }
}

const thumbnailKey = (file: StoredFile) => `thumb-${file.blobKey.replace(/\.\w+$/, '')}.jpg`;
const indexId = (id: number) => `file-${id}`;

export interface FilesDeps extends FeatureDeps {
  catalog: Catalog;
  /** The vector index (embedded mode); without it `filesIndex` cannot apply. */
  search?: SearchService;
}

/**
 * Builds the files service on this node's stores (PostgreSQL and its blob table when the
 * deployment has one, else SQLite and `<dataDir>/files/`) and registers the batch job's task.
 */
export function registerFiles(deps: FilesDeps): FilesService {
  const { service, config, log, stores, catalog, search } = deps;
  const files = new FilesService({
    store: stores.files,
    blobs: stores.fileBlobs,
    service,
    config,
    log,
    recognizer: new RecognizerChoice({ catalog, config, service }),
    search,
  });
  service.registerComposite({ name: RECOGNIZE_TASK, input: 'optional-image-or-text', params: RecognizeParams, run: files.runBatchJob });
  return files;
}
