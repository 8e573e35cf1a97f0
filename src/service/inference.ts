import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import Value from 'typebox/value';
import type { Config } from '../config/load.js';
import { ArgusError, errors, type ErrorBody } from '../errors.js';
import type { Dispatcher, Priority } from '../dispatch/types.js';
import type { JobQueue, JobRecord } from '../jobs/types.js';
import type { Catalog } from '../models/catalog.js';
import type { Manifest, TaskName } from '../models/manifest.js';
import { ensureInstalled } from '../models/pull.js';
import type { BlobStore } from '../store/blobs.js';
import { taskDefinition } from '../tasks/table.js';
import type { InputKind, StageTimings, TaskInput } from '../tasks/types.js';
import { probeImage, type ImageInfo } from '../vision/image.js';
import type { ThumbnailSides, Thumbnails } from '../vision/thumbnail.js';
import { callerOwner } from './caller.js';
import type { UrlFetcher } from './fetch-url.js';
import { round2 } from '../numbers.js';

/** An image as it arrived: its encoded bytes. */
export interface ImageInput {
  bytes: Uint8Array;
  filename?: string;
}

/** An image named by URL: the service fetches it (under `service/fetch-url.ts`'s rules) before anything else. */
export interface ImageUrl {
  url: string;
}

/** An image as a request brings it: its bytes, or a URL the service fetches. */
export type ImageSource = ImageInput | ImageUrl;

export interface TaskRequest {
  task: string;
  /** Model alias; the task's default model when absent. */
  model?: string;
  params?: unknown;
  image?: ImageSource;
  /** Several images (chat). */
  images?: ImageSource[];
  text?: string;
  /**
   * Owner (an inference key's id) of what the request creates: its job, its history entry, a
   * stored embedding. When absent, the caller of the request being served (service/caller.ts).
   */
  owner?: string;
  /**
   * Streaming (sync requests only): receives each partial result the task emits (chat text
   * deltas) before `run` resolves with the whole result. Async jobs never stream.
   */
  onPartial?: (partial: unknown) => void;
  /** Aborted when the caller gives up (its client went away): the work is dropped or stopped early. */
  signal?: AbortSignal;
  /**
   * Keeps this request from result listeners ({@link InferenceService.onResult}): for internal,
   * high-rate calls (live-stream frames) that would flood the result history.
   */
  unobserved?: boolean;
}

/**
 * A request or job that has finished, as {@link InferenceService.onResult} listeners see it: what
 * was asked (with the input image's bytes, for thumbnails) and the result or the error.
 */
export interface FinishedRequest {
  /** `sync`: a `run` call; `job`: an async job that reached its final state. */
  kind: 'sync' | 'job';
  /** The result's id, or the job's id. Absent for a sync request refused before it had one. */
  id?: string;
  task: string;
  /** The model asked for (the result's `model.alias` says which answered). */
  model?: string;
  params?: unknown;
  image?: ImageInput;
  text?: string;
  /** Whose request it was (an inference key's id); undefined when unowned (admin key, auth off). */
  owner?: string;
  result?: TaskResult;
  error?: ErrorBody;
  /**
   * The image's preview and thumbnail, made by the model worker from its own decode, for
   * listeners that asked for them ({@link InferenceService.onResult}); may resolve undefined
   * (the task's decode cannot make them), and is absent where none was asked.
   */
  thumbnails?: Promise<Thumbnails | undefined>;
}

/** Receives each finished request or job; must not throw, and should hand slow work off (it runs on the request's path). */
export type ResultListener = (finished: FinishedRequest) => void;

export interface ResultTimings extends StageTimings {
  queue_ms: number;
  total_ms: number;
}

/** Every task result: the task's own fields plus id, model and timings. */
export type TaskResult = Record<string, unknown> & {
  id: string;
  model: { alias: string; sha256?: string };
  timings: ResultTimings;
};

/** What a composite task is handed: its validated params and inputs, and a way to run other tasks. */
export interface CompositeCall {
  params: unknown;
  model?: string;
  image?: ImageInput;
  imageInfo?: ImageInfo;
  /** Several images, for composites whose input kind is `images` (comparing two faces). */
  images?: ImageInput[];
  text?: string;
  /** Runs any task through this same service, at the priority of the call (interactive or batch). */
  run(request: TaskRequest): Promise<TaskResult>;
  /**
   * Records how far a long composite has come (e.g. `{done: 3, total: 40}`) in its job record
   * (`progress`), where clients polling the job see it. Present only when running as an async job.
   */
  progress?(value: unknown): void;
  /** Whose request this is (an API key id; undefined with auth off or for an admin key): what it may read. */
  owner?: string;
}

/**
 * A task the service computes from other tasks (scene analysis runs detection then rules; vision
 * analyze presets run OCR or detection). It is reachable everywhere a worker task is: sync
 * routes, async jobs and the CLI. It returns its own fields including `model`; the service adds
 * `id` and the total time.
 */
export interface CompositeTask {
  readonly name: string;
  readonly input: InputKind;
  readonly params: TSchema;
  run(call: CompositeCall): Promise<Record<string, unknown> & { model: { alias: string; sha256?: string } }>;
}

/** Work the service does around a worker task (see {@link InferenceService.registerResultHook}). */
export interface ResultHook {
  /** Refuses, at the door, params the hook cannot honour, so no async job is accepted to fail or be ignored later. */
  check?(params: unknown): void;
  /** Runs on the worker's result, in this process; may throw an Argus error. Its fields are added to the result. */
  after(result: TaskResult, params: unknown, request: TaskRequest): Promise<Record<string, unknown> | undefined>;
}

/** A request whose images are all bytes: URLs fetched. */
type Resolved = Omit<TaskRequest, 'image' | 'images'> & {
  image?: ImageInput;
  images?: ImageInput[];
  /** Ask the worker for the history's images of `image`. */
  preview?: ThumbnailSides;
};

/** Previews of finished jobs kept until the job's final state is reported; more than this and the oldest go. */
const MAX_KEPT_JOB_PREVIEWS = 256;

interface Prepared {
  task: string;
  params: unknown;
  /** The worker model, for worker tasks. */
  manifest?: Manifest;
  composite?: CompositeTask;
  model?: string;
  image?: ImageInfo;
}

export interface InferenceServiceDeps {
  config: Config;
  catalog: Catalog;
  dispatcher: Dispatcher;
  queue: JobQueue;
  blobs: BlobStore;
  log: Logger;
  /** Fetches images named by URL; without it, a URL input is refused. */
  urls?: UrlFetcher;
}

const ZERO_STAGES: StageTimings = { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0 };

/**
 * Compiled checks of the task parameter schemas, made once per schema: `Value.Check` walks the
 * schema on every request (and builds a RegExp per pattern), which was a tenth of the API
 * process's CPU per request. The error path still uses `Value.Errors`, for the same messages.
 */
const checkers = new WeakMap<TSchema, Validator>();
function checkerOf(schema: TSchema): Validator {
  let checker = checkers.get(schema);
  if (!checker) checkers.set(schema, (checker = Compile(schema)));
  return checker;
}

/**
 * The one request path. Every surface (native API, compatibility APIs, CLI, dashboard) calls
 * `run` (synchronous: submit and await) or `submit` (asynchronous: store and return a job).
 * Both validate the same way, and both compute through the same `execute`.
 */
export class InferenceService {
  private readonly composites = new Map<string, CompositeTask>();
  private readonly resultHooks = new Map<string, ResultHook>();
  private readonly resultListeners = new Set<ResultListener>();
  /** The sizes of the previews a result listener asked for; none asked, none made. */
  private previewSides?: ThumbnailSides;
  /** Worker-made previews of results, until the result is reported to listeners. */
  private readonly previews = new WeakMap<TaskResult, Promise<Thumbnails | undefined>>();
  private readonly jobPreviews = new Map<string, Promise<Thumbnails | undefined>>();

  constructor(private readonly deps: InferenceServiceDeps) {}

  /** Adds a composite task (scene analysis, analyze presets); its name must not shadow a worker task. */
  registerComposite(task: CompositeTask): void {
    if (taskDefinition(task.name) || this.composites.has(task.name)) throw new Error(`task ${task.name} is already defined`);
    this.composites.set(task.name, task);
  }

  /**
   * Adds work done in this process on every result of a worker task, sync or async, before it is
   * answered (keeping an embedding in the vector index); the fields it returns join the result.
   */
  registerResultHook(task: string, hook: ResultHook): void {
    if (!taskDefinition(task) || this.resultHooks.has(task)) throw new Error(`task ${task} is not a worker task or already has a result hook`);
    this.resultHooks.set(task, hook);
  }

  /**
   * Adds an observer called once per finished request (`run`, succeeded or failed) and once per
   * async job reaching its final state (`jobFinished`, with the job's stored image); composite
   * tasks' inner calls are not reported separately. With `previews`, model workers make the
   * image's preview and thumbnail from their own decode where they can (`thumbnails`), saving the
   * listener a second decode. Returns a function that removes it.
   */
  onResult(listener: ResultListener, options: { previews?: ThumbnailSides } = {}): () => void {
    if (options.previews) this.previewSides = options.previews;
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  private notify(finished: FinishedRequest): void {
    for (const listener of this.resultListeners) {
      try {
        listener(finished);
      } catch (error) {
        this.deps.log.error({ err: error, task: finished.task }, 'result listener failed');
      }
    }
  }

  /** Every task name this service answers, worker and composite. */
  taskNames(): string[] {
    return [...this.composites.keys()];
  }

  /** The model a task uses when a request names none. */
  defaultModel(task: TaskName): Manifest | undefined {
    const { config, catalog } = this.deps;
    const preferred = config.defaultModels[task] ?? (task === 'detect' ? config.defaultDetectModel : undefined);
    return catalog.defaultFor(task, preferred);
  }

  /** Whether a request for `task` that names no model has an installed model to answer it. */
  hasDefaultModel(task: TaskName): boolean {
    return this.canAnswer(task);
  }

  /** Whether a request for `task` naming `alias` (or none: the default) has an installed model of that task to answer it. */
  canAnswer(task: TaskName, alias?: string): boolean {
    const manifest = alias === undefined ? this.defaultModel(task) : this.deps.catalog.get(alias);
    return manifest !== undefined && manifest.task === task && this.deps.catalog.recentAvailability(manifest).available;
  }

  private validateParams(schema: TSchema, task: string, raw: unknown): unknown {
    const params = Value.Default(schema, structuredClone(raw ?? {}));
    if (!checkerOf(schema).Check(params)) {
      const details = Value.Errors(schema, params).map((e) => ({ path: e.instancePath, message: e.message }));
      throw errors.invalidParams(`Invalid parameters for ${task}: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`, details);
    }
    return params;
  }

  /** Checks that a request brings what its task takes, and reads each image's header. */
  private async checkInputs(task: string, kind: InputKind, request: Resolved): Promise<ImageInfo | undefined> {
    const { image, images, text } = request;
    const hasText = typeof text === 'string' && text.length > 0;
    if (kind !== 'images' && images?.length) throw errors.badRequest(`Task '${task}' takes one image, not a list.`);
    switch (kind) {
      case 'image':
        if (hasText) throw errors.badRequest(`Task '${task}' takes an image, not text.`);
        if (!image) throw errors.missingImage(`send it as multipart field 'image', or as JSON {"image": "<base64 or data URL>"}.`);
        break;
      case 'image-or-text':
        if (image && hasText) throw errors.badRequest(`Task '${task}' takes an image or a text, not both.`);
        if (!image && !hasText) throw errors.missingImage(`task '${task}' needs an image or a text.`);
        break;
      case 'optional-image-or-text':
        if (image && hasText) throw errors.badRequest(`Task '${task}' takes an image or a text, not both.`);
        break;
      case 'text':
        if (!hasText) throw errors.badRequest(`Task '${task}' needs a text (a prompt).`);
        break;
      case 'images':
        break;
    }
    const { maxPixels, maxUploadBytes } = this.deps.config;
    // One size limit however an image arrives: multipart and URLs stop reading at it, and base64
    // in JSON (whose body limit allows its 4/3 encoding) is held to it here, decoded.
    for (const one of [...(image ? [image] : []), ...(images ?? [])]) {
      if (one.bytes.length > maxUploadBytes) throw errors.imageOverLimit(one.bytes.length, maxUploadBytes);
    }
    for (const extra of images ?? []) await probeImage(extra.bytes, { maxPixels });
    return image ? probeImage(image.bytes, { maxPixels }) : undefined;
  }

  /**
   * A request under a task name (image-gen, schnell, dev: models/names.ts) gets that name's
   * defaults for the parameters it does not set. Not for upstream models: those get only what the
   * client sent.
   */
  private withNameDefaults(request: Resolved, manifest: Manifest): unknown {
    const name = request.model === undefined || manifest.runtime === 'upstream' ? undefined : this.deps.catalog.taskName(request.model);
    if (!name) return request.params;
    return { ...name.defaults, ...(request.image ? name.imageDefaults : undefined), ...(request.params as Record<string, unknown> | undefined) };
  }

  /** Whether a request may name this model: a catalogued alias or a task name. */
  knowsModel(name: string): boolean {
    return this.deps.catalog.get(name) !== undefined;
  }

  /** How to get a model for a task: the catalog's pullable ones, else a manifest of one's own. */
  private installHint(task: TaskName): string {
    const pullable = this.deps.catalog.list().map((e) => e.manifest).filter((m) => m.task === task && (m.source.type === 'url' || m.source.type === 'huggingface'));
    if (pullable.length) return `install one with \`argus models pull ${pullable[0]!.alias}\`${pullable.length > 1 ? ` (or ${pullable.slice(1).map((m) => m.alias).join(', ')})` : ''}.`;
    return `put a manifest for one (task "${task}") in ${this.deps.config.modelsDir}; see docs/models.md.`;
  }

  /** Resolves the task and model, checks params against the task's schema and the inputs. */
  private async prepare(request: Resolved): Promise<Prepared> {
    const composite = this.composites.get(request.task);
    if (composite) {
      const params = this.validateParams(composite.params, composite.name, request.params);
      const image = await this.checkInputs(composite.name, composite.input, request);
      return { task: composite.name, params, composite, model: request.model, image };
    }
    const definition = taskDefinition(request.task);
    if (!definition) throw errors.badRequest(`Unknown task '${request.task}'.`);
    const task = request.task as TaskName;
    const manifest = request.model ? this.deps.catalog.requireForTask(request.model, task) : this.defaultModel(task);
    if (!manifest) throw errors.modelNotInstalled(task, `no model for task '${task}' is installed; ${this.installHint(task)}`);
    // Missing files of a remote model are pulled here only when the user allowed pulls on first use.
    await ensureInstalled(manifest, { catalog: this.deps.catalog, allowPulls: this.deps.config.allowPulls, huggingfaceEndpoint: this.deps.config.huggingfaceEndpoint });
    const params = this.validateParams(definition.params, task, this.withNameDefaults(request, manifest));
    const image = await this.checkInputs(task, definition.input ?? 'image', request);
    if (image && definition.minImageSide && Math.min(image.width, image.height) < definition.minImageSide) {
      throw errors.imageTooSmall(image.width, image.height, definition.minImageSide, task);
    }
    definition.checkRequest?.(manifest, params, { image: request.image !== undefined, text: typeof request.text === 'string' && request.text.length > 0 });
    this.resultHooks.get(task)?.check?.(params);
    return { task, params, manifest, model: manifest.alias, image };
  }

  private async execute(
    prepared: Prepared, request: Resolved, priority: Priority, id: string, started: number, waitedMs = 0, progress?: (value: unknown) => void,
  ): Promise<TaskResult> {
    if (prepared.composite) {
      const output = await prepared.composite.run({
        params: prepared.params,
        model: prepared.model,
        image: request.image,
        imageInfo: prepared.image,
        images: request.images,
        text: request.text,
        // Inner tasks stop with the outer request when its client goes away.
        run: (inner) => this.runAt({ ...inner, signal: inner.signal ?? request.signal }, priority),
        progress,
        owner: request.owner,
      });
      const timings = (output.timings as Partial<ResultTimings> | undefined) ?? {};
      return { id, ...output, timings: { ...ZERO_STAGES, queue_ms: 0, ...timings, total_ms: round2(performance.now() - started + waitedMs) } };
    }
    const input: TaskInput = { image: request.image?.bytes, images: request.images?.map((i) => i.bytes), text: request.text };
    const outcome = await this.deps.dispatcher.execute({
      manifest: prepared.manifest!, params: prepared.params, input, priority, onPartial: request.onPartial, signal: request.signal, preview: request.preview,
    });
    const output = outcome.output as Record<string, unknown>;
    const result: TaskResult = { id, model: { alias: prepared.manifest!.alias, sha256: outcome.sha256 }, ...output, timings: { ...outcome.timings, queue_ms: 0, total_ms: 0 } };
    const extra = await this.resultHooks.get(prepared.task)?.after(result, prepared.params, request);
    return this.withPreview(outcome.preview, {
      ...result,
      ...extra,
      timings: {
        ...outcome.timings,
        queue_ms: round2(outcome.timings.queue_ms + waitedMs),
        total_ms: round2(performance.now() - started + waitedMs),
      },
    });
  }

  private withPreview(preview: Promise<Thumbnails | undefined> | undefined, result: TaskResult): TaskResult {
    if (preview) this.previews.set(result, preview);
    return result;
  }

  /** Fetches every image named by URL, so the rest of the path only sees bytes. */
  private async resolveImages(request: TaskRequest & Pick<Resolved, 'preview'>): Promise<Resolved> {
    const { image, images } = request;
    const isUrl = (source?: ImageSource): source is ImageUrl => source !== undefined && 'url' in source;
    if (!isUrl(image) && !images?.some(isUrl)) return request as Resolved;
    const bytesOf = async (source: ImageSource): Promise<ImageInput> => {
      if (!isUrl(source)) return source;
      if (!this.deps.urls) throw errors.urlNotAllowed('this Argus process does not fetch URLs; send the image itself.');
      const fetched = await this.deps.urls.fetchImage(source.url, request.signal);
      return { bytes: fetched.bytes, filename: decodeURIComponent(new URL(fetched.url).pathname.split('/').pop() ?? '') || undefined };
    };
    return { ...request, image: image && (await bytesOf(image)), images: images && (await Promise.all(images.map(bytesOf))) };
  }

  private async runAt(request: TaskRequest & Pick<Resolved, 'preview'>, priority: Priority): Promise<TaskResult> {
    const started = performance.now();
    const resolved = await this.resolveImages(request);
    const prepared = await this.prepare(resolved);
    return this.execute(prepared, resolved, priority, randomUUID(), started);
  }

  /** Runs a task now and returns its result (interactive priority). */
  async run(raw: TaskRequest): Promise<TaskResult> {
    const request = { ...raw, owner: raw.owner ?? callerOwner() };
    if (request.unobserved || this.resultListeners.size === 0) return this.runAt(request, 'interactive');
    const { task, model, params, text, owner } = request;
    let asked: Omit<FinishedRequest, 'id' | 'result' | 'error'> = { kind: 'sync' as const, task, model, params, text, owner };
    try {
      const resolved = await this.resolveImages(request);
      asked = { ...asked, image: resolved.image ?? resolved.images?.[0] };
      const result = await this.runAt({ ...resolved, preview: this.previewSides }, 'interactive');
      this.notify({ ...asked, id: result.id, result, thumbnails: this.previews.get(result) });
      return result;
    } catch (error) {
      this.notify({ ...asked, error: error instanceof ArgusError ? error.toJSON() : errors.internal().toJSON() });
      throw error;
    }
  }

  /**
   * Validates the request, stores its image and its job durably, and returns the job. Bad input is
   * refused here, with the same errors as `run`, rather than failing later in the queue.
   */
  async submit(raw: TaskRequest): Promise<JobRecord> {
    if (raw.images?.length) throw errors.badRequest('Async jobs take one image; send several images to the synchronous route.');
    // A URL is fetched now, so the job keeps the image itself and a later change of the URL cannot alter it.
    const request = await this.resolveImages({ ...raw, owner: raw.owner ?? callerOwner() });
    const prepared = await this.prepare(request);
    const id = randomUUID();
    const inputKey = prepared.image ? `${id}.${prepared.image.format}` : '';
    if (request.image) await this.deps.blobs.put(inputKey, request.image.bytes);
    try {
      return await this.deps.queue.submit({
        id, task: prepared.task, model: prepared.model ?? '', params: prepared.params, inputKey, text: request.text, owner: request.owner,
        composite: prepared.composite !== undefined,
      });
    } catch (error) {
      if (inputKey) await this.deps.blobs.delete(inputKey);
      throw error;
    }
  }

  /**
   * A job by id. With `owner` (an API key id), a job another key submitted is not found: the answer
   * is the same 404 as for an id that does not exist, so ids of other clients' jobs reveal nothing.
   */
  async getJob(id: string, owner?: string): Promise<JobRecord> {
    const job = await this.deps.queue.get(id);
    if (!job || (owner !== undefined && job.owner !== owner)) throw errors.jobNotFound(id);
    return job;
  }

  /**
   * A job once it has finished (succeeded or failed): how a surface that answers synchronously
   * waits for work it ran as a durable job. It follows the queue's own state changes where the
   * queue reports them (embedded), and polls where the job finishes on another node (BullMQ).
   * Rejects with `request_cancelled` when `signal` aborts; the job itself goes on.
   */
  async awaitJob(id: string, owner?: string, signal?: AbortSignal): Promise<JobRecord> {
    const done = (job: JobRecord) => job.status === 'succeeded' || job.status === 'failed';
    // Set by the watcher, so a change between a read and the wait that follows it is not missed.
    let changed = false;
    let wake: () => void = () => undefined;
    const unwatch = this.deps.queue.watch?.((job) => {
      if (job.id !== id || !done(job)) return;
      changed = true;
      wake();
    });
    const onAbort = () => wake();
    signal?.addEventListener('abort', onAbort);
    try {
      // With a watcher the poll is only a safety net; without one it backs off from 25 ms to 500 ms.
      for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
        if (signal?.aborted) throw errors.cancelled();
        changed = false;
        const job = await this.getJob(id, owner);
        if (done(job)) return job;
        await new Promise<void>((resolve) => {
          if (changed || signal?.aborted) return resolve();
          const timer = setTimeout(resolve, unwatch ? 5_000 : delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unwatch?.();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Computes one queued job; the queue records what this returns or throws. */
  readonly runJob = async (job: JobRecord): Promise<TaskResult> => {
    const started = performance.now();
    let image: ImageInput | undefined;
    if (job.inputKey) {
      const bytes = await this.deps.blobs.get(job.inputKey);
      if (!bytes) throw errors.internal(`The job's input image (${job.inputKey}) is missing from the data directory.`);
      image = { bytes };
    }
    const preview = this.resultListeners.size > 0 ? this.previewSides : undefined;
    const request: Resolved = { task: job.task, model: job.model || undefined, params: job.params, image, text: job.text, owner: job.owner || undefined, preview };
    const prepared = await this.prepare(request);
    const waited = job.started_at ? Math.max(0, job.started_at - job.created_at) : 0;
    const { queue, log } = this.deps;
    const progress = queue.setProgress && ((value: unknown) => {
      queue.setProgress!(job.id, value).catch((error: unknown) => log.warn({ err: error, job: job.id }, 'could not record job progress'));
    });
    const result = await this.execute(prepared, request, 'batch', job.id, started, waited, progress);
    const thumbnails = this.previews.get(result);
    if (thumbnails) {
      this.jobPreviews.delete(job.id); // a retried job's newest preview goes last in line
      this.jobPreviews.set(job.id, thumbnails);
      if (this.jobPreviews.size > MAX_KEPT_JOB_PREVIEWS) this.jobPreviews.delete(this.jobPreviews.keys().next().value!);
    }
    return result;
  };

  /** Called when a job reaches a final state: its upload goes unless uploads are kept. */
  async jobFinished(job: JobRecord): Promise<void> {
    this.deps.log.info({ job: job.id, task: job.task, model: job.model, status: job.status, attempts: job.attempts, error: job.error?.code }, 'job finished');
    if (this.resultListeners.size > 0) {
      // Read before the upload is deleted below: listeners (the history's thumbnails) need the image.
      const bytes = job.inputKey ? await this.deps.blobs.get(job.inputKey).catch(() => undefined) : undefined;
      this.notify({
        kind: 'job', id: job.id, task: job.task, model: job.model || undefined, params: job.params, image: bytes && { bytes }, text: job.text,
        owner: job.owner || undefined, result: job.result as TaskResult | undefined, error: job.error, thumbnails: this.jobPreviews.get(job.id),
      });
    }
    this.jobPreviews.delete(job.id);
    if (!this.deps.config.keepUploads && job.inputKey) await this.deps.blobs.delete(job.inputKey);
  }
}
