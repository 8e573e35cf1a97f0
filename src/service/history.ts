import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { JobQueue, JobRecord } from '../jobs/types.js';
import type { HistoryEntry, HistoryFacets, HistoryFilter, HistoryOwner, HistoryPage, HistoryStore, HistorySummary, NewHistoryEntry } from '../store/history.js';
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
   * Makes an image's preview and thumbnail. Argus passes a low-priority helper process
   * (workers/thumbnailer.ts); the default makes them in this process.
   */
  thumbnails?: (bytes: Uint8Array, options: ThumbnailOptions) => Promise<Thumbnails>;
}

/** A result (or params) whose JSON is larger than this is not kept; the entry says so. Generated images are the usual case. */
const MAX_KEPT_JSON = 1024 * 1024;
/** Thumbnails waiting beyond this are skipped (the entry is kept without images) so a burst cannot queue unbounded work. */
const MAX_BACKLOG = 32;

const jsonSize = (value: unknown) => (value === undefined ? 0 : JSON.stringify(value).length);

/**
 * The result history behind the dashboard: every finished request and job, newest first, with a
 * preview of its image so the result can be redrawn. It listens to the inference service's
 * `onResult`; failed synchronous requests are not kept (their caller already has the error),
 * failed jobs are. Thumbnails come from the model worker's own decode where it can make them
 * (detection), else they are made here off the request path, one at a time; the store is
 * trimmed to `size` after each insert.
 */
export class HistoryService {
  private readonly listeners = new Set<(event: ActivityEvent) => void>();
  private chain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private lastBacklogWarning = 0;

  constructor(private readonly deps: HistoryServiceDeps) {
    // Previews at the default sides; the worker that ran the request makes them where it can.
    if (deps.size > 0) deps.service.onResult((finished) => this.enqueue(finished), { previews: {} });
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
   */
  list(filter: HistoryFilter): Promise<HistoryPage> {
    return this.deps.store.list(filter);
  }

  facets(owner?: HistoryOwner): Promise<HistoryFacets> {
    return this.deps.store.facets(owner);
  }

  async get(id: string, owner?: HistoryOwner): Promise<HistoryEntry> {
    const entry = await this.deps.store.get(id, owner);
    if (!entry) throw errors.historyNotFound(id);
    return entry;
  }

  async image(id: string, which: 'thumbnail' | 'preview', owner?: HistoryOwner): Promise<Uint8Array> {
    const bytes = await this.deps.store.image(id, which, owner);
    if (!bytes) throw errors.historyNotFound(id, which);
    return bytes;
  }

  async delete(id: string, owner?: HistoryOwner): Promise<void> {
    if (!(await this.deps.store.delete(id, owner))) throw errors.historyNotFound(id);
  }

  /** Resolves once every result handed over so far has been written (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
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

  private enqueue(finished: FinishedRequest): void {
    if (!finished.id || (finished.kind === 'sync' && finished.error)) return;
    // The backlog bounds decoding here; previews a worker made cost nothing to keep.
    const withImage = finished.image !== undefined && (finished.thumbnails !== undefined || this.backlog < MAX_BACKLOG);
    if (finished.image && !withImage && Date.now() - this.lastBacklogWarning > 60_000) {
      this.lastBacklogWarning = Date.now();
      this.deps.log.warn({ backlog: this.backlog }, 'history: thumbnails are falling behind; recording results without previews for now');
    }
    this.backlog++;
    this.chain = this.chain
      .then(() => this.record(finished, withImage))
      .catch((error: unknown) => this.deps.log.error({ err: error, id: finished.id }, 'history: could not record a result'))
      .finally(() => this.backlog--);
  }

  private async record(finished: FinishedRequest, withImage: boolean): Promise<void> {
    let images: Thumbnails | undefined;
    if (withImage && finished.image) {
      const make = this.deps.thumbnails ?? makeThumbnails;
      images = (await finished.thumbnails) ?? await make(finished.image.bytes, { maxPixels: this.deps.maxPixels }).catch((error: unknown) => {
        this.deps.log.warn({ err: error, id: finished.id }, 'history: no preview for this image');
        return undefined;
      });
    }
    const { result, error } = finished;
    const keepResult = jsonSize(result) <= MAX_KEPT_JSON;
    const { labels, summary } = summarise(result);
    const entry: NewHistoryEntry = {
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
      width: images?.width,
      height: images?.height,
      total_ms: result?.timings?.total_ms,
      thumbnail: images?.thumbnail,
      preview: images?.preview,
      created_at: Date.now(),
      owner: finished.owner ?? '',
    };
    await this.deps.store.add(entry, this.deps.size);
    const { thumbnail: _t, preview: _p, params: _params, result: _r, ...rest } = entry;
    this.emit({ type: 'history', entry: { ...rest, owner: rest.owner ?? '', has_thumbnail: images !== undefined, has_preview: images !== undefined } });
  }
}
