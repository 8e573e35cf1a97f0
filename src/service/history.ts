import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { JobQueue, JobRecord } from '../jobs/types.js';
import type { HistoryEntry, HistoryFacets, HistoryFilter, HistoryOwner, HistoryPage, HistoryStore, HistorySummary, NewHistoryEntry } from '../store/history.js';
import { probeImage } from '../vision/image.js';
import { makeThumbnails, type ThumbnailOptions, type Thumbnails } from '../vision/thumbnail.js';
import { summarise } from './history-summary.js';
import type { FinishedRequest, InferenceService } from './inference.js';

/** What the dashboard's live feed carries from this service. */
export type ActivityEvent =
  | { type: 'job'; job: JobRecord }
  | { type: 'history'; entry: HistorySummary };

export interface HistoryServiceDeps {
  service: InferenceService;
  queue: JobQueue;
  store: HistoryStore;
  log: Logger;
  /** Entries kept (the newest); 0 records nothing. */
  size: number;
  /** Images larger than this (by header) get no thumbnails. */
  maxPixels: number;
  /**
   * Makes an image's preview and thumbnail, when someone first looks at them. Argus passes a
   * low-priority helper process (workers/thumbnailer.ts); the default makes them in this process.
   */
  thumbnails?: (bytes: Uint8Array, options: ThumbnailOptions) => Promise<Thumbnails>;
}

/** A result (or params) whose JSON is larger than this is not kept; the entry says so. Generated images are the usual case. */
const MAX_KEPT_JSON = 1024 * 1024;
/** Results wait this long to be written together, in one transaction. */
const FLUSH_MS = 100;
/** ... or until this many wait. */
const MAX_PENDING = 64;

const jsonSize = (value: unknown) => (value === undefined ? 0 : JSON.stringify(value).length);

/** A finished request waiting to be written, and when it finished. */
interface Pending {
  finished: FinishedRequest;
  at: number;
}

/**
 * The result history behind the dashboard: every finished request and job, newest first, with a
 * preview of its image so the result can be redrawn. It listens to the inference service's
 * `onResult`; failed synchronous requests are not kept (their caller already has the error),
 * failed jobs are.
 *
 * Recording costs the request next to nothing: a finished request is only put in a list, and
 * the list is written every {@link FLUSH_MS} (one transaction, trimmed to `size`), with the input
 * image's bytes as they came. Every read writes what waits first, so a read right after an answer
 * sees it, and {@link idle} (shutdown) writes the rest. The preview and the thumbnail are made
 * from the kept bytes when someone first asks for one of them, then stored in their place.
 */
export class HistoryService {
  private readonly listeners = new Set<(event: ActivityEvent) => void>();
  private pending: Pending[] = [];
  private flushTimer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  /** Entries whose images are being made, so that the thumbnail and preview asked together are made once. */
  private readonly making = new Map<string, Promise<void>>();

  constructor(private readonly deps: HistoryServiceDeps) {
    // No previews asked of the model workers: they are made on first look, from the kept bytes.
    if (deps.size > 0) deps.service.onResult((finished) => this.enqueue(finished));
    deps.queue.watch?.((job) => this.emit({ type: 'job', job }));
  }

  /** Whether job state changes are pushed live (the embedded queue), or not available (distributed mode). */
  get liveJobs(): boolean {
    return this.deps.queue.watch !== undefined;
  }

  /** Whether results are being recorded (historySize > 0). */
  get enabled(): boolean {
    return this.deps.size > 0;
  }

  /**
   * Subscribes to new history entries and job state changes; returns the unsubscribe function.
   * With `owner` (an inference key's id), only that owner's entries and jobs are passed on.
   */
  watch(listener: (event: ActivityEvent) => void, owner?: HistoryOwner): () => void {
    const scoped = owner === undefined ? listener : (event: ActivityEvent) => {
      if ((event.type === 'job' ? event.job.owner : event.entry.owner) === owner) listener(event);
    };
    this.listeners.add(scoped);
    return () => this.listeners.delete(scoped);
  }

  /**
   * Every read below takes the reader's `owner`: an inference key's id sees only its own entries
   * (another key's answers 404, as an id that does not exist); undefined (admin, auth off) sees all.
   * Each first writes the results still waiting, so it sees every answered request.
   */
  async list(filter: HistoryFilter): Promise<HistoryPage> {
    await this.flush();
    return this.deps.store.list(filter);
  }

  async facets(owner?: HistoryOwner): Promise<HistoryFacets> {
    await this.flush();
    return this.deps.store.facets(owner);
  }

  async get(id: string, owner?: HistoryOwner): Promise<HistoryEntry> {
    await this.flush();
    const entry = await this.deps.store.get(id, owner);
    if (!entry) throw errors.historyNotFound(id);
    return entry;
  }

  /** One of an entry's JPEGs; made (both at once) from the entry's input image the first time either is asked for. */
  async image(id: string, which: 'thumbnail' | 'preview', owner?: HistoryOwner): Promise<Uint8Array> {
    await this.flush();
    let bytes = await this.deps.store.image(id, which, owner);
    if (!bytes) {
      await this.makeImages(id);
      bytes = await this.deps.store.image(id, which, owner);
    }
    if (!bytes) throw errors.historyNotFound(id, which);
    return bytes;
  }

  async delete(id: string, owner?: HistoryOwner): Promise<void> {
    await this.flush();
    if (!(await this.deps.store.delete(id, owner))) throw errors.historyNotFound(id);
  }

  /** Writes every result handed over so far and resolves once they are stored (tests, shutdown). */
  idle(): Promise<void> {
    return this.flush().then(() => Promise.all(this.making.values())).then(() => undefined);
  }

  private emit(event: ActivityEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.deps.log.error({ err: error }, 'history listener failed');
      }
    }
  }

  /** On the request's path: keep the finished request for the next write, nothing more. */
  private enqueue(finished: FinishedRequest): void {
    if (!finished.id || (finished.kind === 'sync' && finished.error)) return;
    this.pending.push({ finished, at: Date.now() });
    if (this.pending.length >= MAX_PENDING) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes the waiting results in one transaction; resolves when they (and earlier writes) are stored. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.writing = this.writing
        .then(() => this.write(batch))
        .catch((error: unknown) => this.deps.log.error({ err: error, ids: batch.map((p) => p.finished.id) }, 'history: could not record results'));
    }
    return this.writing;
  }

  private async write(batch: Pending[]): Promise<void> {
    const entries: NewHistoryEntry[] = [];
    for (const { finished, at } of batch) {
      try {
        entries.push(await this.entryOf(finished, at));
      } catch (error) {
        this.deps.log.error({ err: error, id: finished.id }, 'history: could not record a result');
      }
    }
    await this.deps.store.addMany(entries, this.deps.size);
    for (const entry of entries) {
      const { thumbnail: _t, preview: _p, source, params: _params, result: _r, ...rest } = entry;
      this.emit({ type: 'history', entry: { ...rest, owner: rest.owner ?? '', has_thumbnail: source !== undefined, has_preview: source !== undefined } });
    }
  }

  private async entryOf(finished: FinishedRequest, at: number): Promise<NewHistoryEntry> {
    // The header gives the size results are drawn in (EXIF-oriented); an image whose header
    // cannot be read, or too large to preview, is recorded without images.
    const bytes = finished.image?.bytes;
    const info = bytes && (await probeImage(bytes, { maxPixels: this.deps.maxPixels }).catch(() => undefined));
    const { result, error } = finished;
    const keepResult = jsonSize(result) <= MAX_KEPT_JSON;
    const { labels, summary } = summarise(result);
    return {
      id: finished.id!,
      kind: finished.kind,
      task: finished.task,
      model: result?.model?.alias ?? finished.model ?? '',
      status: error ? 'failed' : 'succeeded',
      labels,
      summary: error ? error.message : summary,
      params: jsonSize(finished.params) <= MAX_KEPT_JSON ? finished.params : undefined,
      result: keepResult ? result : undefined,
      result_omitted: !keepResult,
      error,
      text: finished.text,
      width: info?.width,
      height: info?.height,
      total_ms: result?.timings?.total_ms,
      source: info ? bytes : undefined,
      created_at: at,
      owner: finished.owner ?? '',
    };
  }

  /** Makes an entry's preview and thumbnail from its kept input image and stores them in its place. */
  private makeImages(id: string): Promise<void> {
    let making = this.making.get(id);
    if (!making) {
      making = (async () => {
        // Read without the owner: the caller's read after this applies the owner rule.
        const source = await this.deps.store.source(id);
        if (!source) return;
        const make = this.deps.thumbnails ?? makeThumbnails;
        const images = await make(source, { maxPixels: this.deps.maxPixels }).catch((error: unknown) => {
          this.deps.log.warn({ err: error, id }, 'history: no preview for this image');
          return undefined;
        });
        await this.deps.store.setImages(id, images && { thumbnail: images.thumbnail, preview: images.preview });
      })().finally(() => this.making.delete(id));
      this.making.set(id, making);
    }
    return making;
  }
}
