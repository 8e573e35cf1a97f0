/**
 * The one catalogue of Argus errors. Every layer throws these; the HTTP error handler maps them to
 * `{"error": {"code", "message", "details"?}}` with the status declared here, and worker processes
 * send them across IPC as plain `{code, message, details}` objects that {@link ArgusError.from} revives.
 */

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** An error a client can act on: a stable code, an HTTP status and a message for people. */
export class ArgusError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
    /** Seconds a client should wait before retrying (sent as Retry-After on 429/503). */
    readonly retryAfterS?: number,
    /** false: retrying the same request cannot help (sent as `x-should-retry: false`). */
    readonly retryable?: boolean,
  ) {
    super(message);
    this.name = 'ArgusError';
  }

  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Revives an error body that crossed a process boundary; unknown codes become internal errors. */
  static from(body: ErrorBody & { status?: number; retryAfterS?: number; retryable?: boolean }): ArgusError {
    const status = body.status ?? STATUS_BY_CODE.get(body.code) ?? 500;
    return new ArgusError(body.code, status, body.message, body.details, body.retryAfterS, body.retryable);
  }
}

const STATUS_BY_CODE = new Map<string, number>();

function declare<A extends unknown[]>(
  code: string,
  status: number,
  make: (...args: A) => { message: string; details?: unknown; retryAfterS?: number; retryable?: boolean },
): (...args: A) => ArgusError {
  STATUS_BY_CODE.set(code, status);
  return (...args: A) => {
    const { message, details, retryAfterS, retryable } = make(...args);
    return new ArgusError(code, status, message, details, retryAfterS, retryable);
  };
}

export const errors = {
  badRequest: declare('bad_request', 400, (message: string, details?: unknown) => ({ message, details })),
  invalidParams: declare('invalid_params', 400, (message: string, details?: unknown) => ({ message, details })),
  missingImage: declare('missing_image', 400, (hint: string) => ({ message: `No image in the request: ${hint}` })),
  invalidBase64: declare('invalid_base64', 400, () => ({
    message: 'The image field is not valid base64 or a base64 data URL.',
  })),
  notFound: declare('not_found', 404, (what: string) => ({ message: `${what} was not found.` })),
  routeNotFound: declare('route_not_found', 404, (method: string, url: string) => ({
    message: `No route ${method} ${url}. See /docs for the API.`,
  })),
  modelNotFound: declare('model_not_found', 404, (alias: string, known: string[]) => ({
    message: `Unknown model '${alias}'. Known models: ${known.join(', ') || 'none'}.`,
  })),
  jobNotFound: declare('job_not_found', 404, (id: string) => ({ message: `No job with id '${id}'.` })),
  conflict: declare('conflict', 409, (message: string) => ({ message })),
  wrongTask: declare('model_task_mismatch', 400, (alias: string, task: string, wanted: string) => ({
    message: `Model '${alias}' does ${task}, not ${wanted}.`,
  })),
  payloadTooLarge: declare('payload_too_large', 413, (limitBytes: number) => ({
    message: `The upload is larger than the limit of ${limitBytes} bytes.`,
  })),
  imageOverLimit: declare('payload_too_large', 413, (bytes: number, limitBytes: number) => ({
    message: `The image is ${bytes} bytes, larger than the upload limit of ${limitBytes} bytes (ARGUS_MAX_UPLOAD_BYTES), however it is sent (file, base64 or URL).`,
  })),
  imageTooLarge: declare('image_too_large', 413, (width: number, height: number, maxPixels: number) => ({
    message: `The image is ${width}×${height} (${(width * height / 1e6).toFixed(1)} MP), over the limit of ${(maxPixels / 1e6).toFixed(1)} MP.`,
    details: { width, height, max_pixels: maxPixels },
  })),
  unsupportedMediaType: declare('unsupported_media_type', 415, (what: string) => ({
    message: `${what} Supported image formats: JPEG, PNG, WebP, GIF, TIFF.`,
  })),
  invalidImage: declare('invalid_image', 422, (reason: string) => ({
    message: `The image could not be decoded: ${reason}`,
  })),
  overloaded: declare('overloaded', 503, (what: string, retryAfterS: number) => ({
    message: `${what} Retry after ${retryAfterS} s.`,
    retryAfterS,
  })),
  modelUnavailable: declare('model_unavailable', 503, (alias: string, reason: string, retryAfterS?: number) => ({
    message: `Model '${alias}' is not available: ${reason}`,
    retryAfterS,
  })),
  // Same code as modelUnavailable (clients and tests know it), but nothing changes until someone
  // installs the files: no Retry-After, and `x-should-retry: false` so client libraries do not retry.
  modelNotInstalled: declare('model_unavailable', 503, (alias: string, reason: string) => ({
    message: `Model '${alias}' is not available: ${reason}`,
    retryable: false,
  })),
  workerCrashed: declare('worker_crashed', 503, (alias: string, detail: string) => ({
    message: `The worker for model '${alias}' stopped while running this request (${detail}). It has been restarted; retry the request.`,
    retryAfterS: 1,
  })),
  timeout: declare('timeout', 504, (stage: string, ms: number) => ({ message: `${stage} took longer than ${ms} ms.` })),
  shuttingDown: declare('shutting_down', 503, () => ({ message: 'Argus is shutting down.', retryAfterS: 5 })),
  internal: declare('internal_error', 500, (message: string = 'Internal error; see the server log.') => ({ message })),
  modelNotPullable: declare('model_not_pullable', 400, (alias: string, how: string) => ({
    message: `Model '${alias}' cannot be pulled: ${how}`,
  })),
  pullFailed: declare('model_pull_failed', 502, (alias: string, reason: string) => ({
    message: `Pulling model '${alias}' failed: ${reason}`,
  })),
  checksumMismatch: declare('model_checksum_mismatch', 502, (alias: string, url: string, expected: string, actual: string) => ({
    message: `Pulling model '${alias}' failed: the file from ${url} has sha256 ${actual}, but the manifest expects ${expected}. It was deleted, not installed.`,
    details: { url, expected_sha256: expected, actual_sha256: actual },
  })),
  modelNotRemovable: declare('model_not_removable', 400, (alias: string, why: string) => ({
    message: `Model '${alias}' was not removed: ${why}`,
  })),
  // An upstream is the OpenAI-compatible server an `upstream` model forwards to. Its failures are
  // Argus's gateway errors (502/504), except those the client can act on: its request was refused
  // as invalid (400) or it must slow down (429, with the upstream's Retry-After).
  upstreamUnreachable: declare('upstream_unreachable', 502, (alias: string, url: string, reason: string) => ({
    message: `Model '${alias}' is served by ${url}, which could not be reached (${reason}).`,
  })),
  upstreamTimeout: declare('upstream_timeout', 504, (alias: string, url: string, ms: number) => ({
    message: `Model '${alias}': ${url} did not answer within ${ms} ms.`,
  })),
  upstreamAuthFailed: declare('upstream_auth_failed', 502, (alias: string, url: string, status: number, detail: string) => ({
    message: `Model '${alias}': ${url} refused Argus's credentials (HTTP ${status}: ${detail}). Check the API key in the environment variable its manifest names (apiKeyEnv).`,
  })),
  upstreamRateLimited: declare('upstream_rate_limited', 429, (alias: string, url: string, retryAfterS: number, detail: string) => ({
    message: `Model '${alias}': ${url} is rate-limiting requests (${detail}). Retry after ${retryAfterS} s.`,
    retryAfterS,
  })),
  upstreamRejected: declare('upstream_rejected', 400, (alias: string, url: string, status: number, detail: string) => ({
    message: `Model '${alias}': ${url} refused the request (HTTP ${status}): ${detail}`,
  })),
  upstreamFailed: declare('upstream_error', 502, (alias: string, url: string, detail: string) => ({
    message: `Model '${alias}': ${url} failed: ${detail}`,
  })),
  // 499 as nginx logs it: the client closed the connection, so nobody reads this answer; it names
  // why a queued request was dropped in logs and metrics.
  cancelled: declare('request_cancelled', 499, () => ({ message: 'The client went away before the result was ready.' })),
  // Scene analysis (cameras, video, live streams).
  invalidCameraConfig: declare('invalid_camera_config', 400, (problems: Array<{ path: string; message: string }>) => ({
    message: `Invalid camera config: ${problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ')}`,
    details: problems,
  })),
  cameraNotFound: declare('camera_not_found', 404, (id: string, known: string[]) => ({
    message: `No camera '${id}'. Known cameras: ${known.join(', ') || 'none'} (define them with PUT /v1/cameras/{id} or in the pipeline config file).`,
  })),
  ffmpegMissing: declare('ffmpeg_missing', 503, (what: string, fix: string) => ({
    message: `Video needs ffmpeg, and there is ${what}. ${fix}`,
  })),
  unsupportedVideo: declare('unsupported_media_type', 415, (what: string) => ({
    message: `${what} Send a video file (MP4, MKV, WebM, AVI, MOV, MPEG-TS, MJPEG) or a URL (rtsp://, http://).`,
  })),
  invalidVideo: declare('invalid_video', 422, (reason: string) => ({ message: `The video cannot be analysed: ${reason}` })),
  streamNotFound: declare('stream_not_found', 404, (id: string) => ({ message: `No stream with id '${id}'.` })),
  tooManyStreams: declare('too_many_streams', 409, (limit: number) => ({
    message: `Already running ${limit} streams, the limit (ARGUS_MAX_STREAMS); stop one with DELETE /v1/streams/{id} first.`,
  })),
  // Classification, embeddings and similarity search.
  labelsNotSupported: declare('labels_not_supported', 400, (alias: string) => ({
    message: `Model '${alias}' is not a zero-shot (CLIP-style) classifier, so it takes no labels: leave labels out, or name a CLIP model (e.g. "clip").`,
  })),
  labelsRequired: declare('labels_required', 400, (alias: string) => ({
    message: `Model '${alias}' is a zero-shot classifier: send the candidate labels, e.g. {"labels": ["a photo of a cat", "a photo of a dog"]}.`,
  })),
  textNotSupported: declare('text_not_supported', 400, (alias: string) => ({
    message: `Model '${alias}' embeds images only; text embeddings need a CLIP-style model (e.g. "clip-embed").`,
  })),
  embeddingNotFound: declare('embedding_not_found', 404, (id: string) => ({ message: `No stored embedding with id '${id}'.` })),
  noWorker: declare('no_worker', 503, (alias: string) => ({
    message: `No worker node serves model '${alias}'. Start one with \`argus worker --models ${alias}\` (same --queue and --db as this API node).`,
    retryAfterS: 5,
  })),
  // Distributed mode: Redis (the queue) unreachable, or a sync request lost on the way (its job
  // vanished from Redis, or the worker node holding it died). request_lost is also the internal
  // signal on which an API node re-sends the request; clients see it only when re-sending ran out.
  queueUnavailable: declare('queue_unavailable', 503, (target: string, reason: string, retryAfterS: number) => ({
    message: `The job queue (Redis at ${target}) cannot be reached (${reason}). Retry after ${retryAfterS} s.`,
    retryAfterS,
  })),
  requestLost: declare('request_lost', 503, (reason: string, cause: 'lost' | 'node_dead', node?: string) => ({
    message: `The request was lost before a worker answered it: ${reason}. Retry it.`,
    details: { cause, ...(node ? { node } : {}) },
    retryAfterS: 1,
  })),
  queueFull: declare('queue_full', 429, (what: string, depth: number, retryAfterS: number) => ({
    message: `${depth} requests are already waiting for ${what}; slow down and retry after ${retryAfterS} s.`,
    retryAfterS,
  })),
  // OCR, faces and pose.
  imageTooSmall: declare('image_too_small', 422, (width: number, height: number, minSide: number, task: string) => ({
    message: `The image is ${width}×${height}; ${task} needs at least ${minSide} px on each side.`,
    details: { width, height, min_side: minSide },
  })),
  noFace: declare('no_face', 422, (which: string) => ({ message: `No face was found in ${which}; send a photo where a face is visible, or lower conf.` })),
  // The face gallery (service/face-gallery.ts) and the DeepStack surface's scene route.
  personNotFound: declare('person_not_found', 404, (name: string) => ({
    message: `Nobody named '${name}' is in the face gallery (GET /v1/faces/gallery lists who is).`,
  })),
  galleryFaceNotFound: declare('gallery_face_not_found', 404, (id: string) => ({ message: `No gallery face with id '${id}'.` })),
  invalidPersonName: declare('invalid_person_name', 400, (why: string) => ({
    message: `Invalid name for the face gallery: ${why} Use 1–100 characters, no control characters.`,
  })),
  noFaceToRegister: declare('no_face', 422, (count: number) => ({
    message: count === 1
      ? 'No face was found in the image, so nobody was registered; send a photo where the face is visible.'
      : `No face was found in any of the ${count} images, so nobody was registered; send photos where the face is visible.`,
  })),
  sceneNotInstalled: declare('model_unavailable', 503, () => ({
    message: 'Scene recognition is not available: no scene-classification model (such as Places365) is installed in this Argus.',
    retryable: false,
  })),
  // Dashboard: the result history.
  historyNotFound: declare('history_not_found', 404, (id: string, what = 'entry') => ({
    message: `No history ${what} '${id}' (the history keeps the last ARGUS_HISTORY_SIZE results; older ones are gone).`,
  })),
  // Images, videos and streams by URL (service/fetch-url.ts): each refusal says why, so a client can fix its request.
  urlNotAllowed: declare('url_not_allowed', 400, (reason: string) => ({
    message: `The URL is not allowed: ${reason}`,
  })),
  urlUnreachable: declare('url_unreachable', 502, (host: string, reason: string) => ({
    message: `The URL's server ${host} could not be reached (${reason}).`,
  })),
  urlFetchFailed: declare('url_fetch_failed', 422, (url: string, reason: string) => ({
    message: `Fetching the URL ${url} failed: ${reason}`,
  })),
  urlTimeout: declare('url_timeout', 504, (url: string, stage: string, ms: number) => ({
    message: `Fetching the URL ${url} timed out: ${stage} took longer than ${ms} ms.`,
  })),
  urlTooLarge: declare('payload_too_large', 413, (url: string, limitBytes: number) => ({
    message: `The image at ${url} is larger than the upload limit of ${limitBytes} bytes (ARGUS_MAX_UPLOAD_BYTES).`,
  })),
  urlNotImage: declare('unsupported_media_type', 415, (url: string, contentType: string) => ({
    message: `The URL ${url} answered with content type '${contentType}', not an image (image/jpeg, image/png, …).`,
  })),
  // Files and recognition (the car recognizer's API).
  fileNotFound: declare('file_not_found', 404, (id: number | string) => ({ message: `No stored image with image_id ${id}.` })),
  // Upload refusals are 400s, as the original's were (bad name, type, size or content).
  fileNameMissing: declare('file_name_missing', 400, () => ({ message: 'The file has no name.' })),
  fileTypeNotAllowed: declare('file_type_not_allowed', 400, (extension: string) => ({
    message: `File type not allowed${extension ? ` (${extension})` : ' (no extension)'}: allowed are jpg, jpeg and png.`,
  })),
  fileTooLarge: declare('file_too_large', 400, (why: string) => ({ message: `File too large: ${why}` })),
  fileNotAnImage: declare('file_not_an_image', 400, (why: string) => ({ message: `The file is damaged or not an image: ${why}` })),
  noValidFiles: declare('no_valid_files', 400, (problems: Array<{ filename: string; message: string }>) => ({
    message: problems.map((p) => `${p.filename}: ${p.message}`).join('; '),
    details: problems,
  })),
  noImageRecognized: declare('no_image_recognized', 400, (problems: Array<{ id: number; code: string; message: string }>) => ({
    message: problems.length === 0
      ? 'No image was recognized: the list of image ids is empty.'
      : `No image was recognized: ${problems.map((p) => `${p.id}: ${p.message}`).join('; ')}`,
    details: problems,
  })),
  nothingToExport: declare('nothing_to_export', 404, () => ({
    message: 'No processed files to export yet: run POST /inference/{image_id} first (or add ?include_unprocessed=true).',
  })),
  upstreamLoading: declare('upstream_loading', 503, (alias: string, url: string, retryAfterS: number) => ({
    message: `Model '${alias}': ${url} is still loading the model; retry after about ${retryAfterS} s.`,
    retryAfterS,
  })),
  redocMissing: declare('redoc_missing', 503, (dir: string) => ({
    message: `ReDoc is not vendored (${dir} has no redoc.standalone.js): run \`node scripts/vendor-redoc.mjs 2.5.4\`. /docs works without it.`,
  })),
  dashboardNotBuilt: declare('dashboard_not_built', 503, (dir: string) => ({
    message: `The dashboard is not built (${dir} has no index.html): run \`npm run build\` (or \`npm run build:web\`). The API works without it.`,
  })),
  // Security (http/plugins/auth.ts, limits.ts).
  unauthorized: declare('unauthorized', 401, (why: string) => ({
    message: `${why} Send an API key as "Authorization: Bearer <key>" or "x-api-key: <key>" (create one with \`argus keys create\`).`,
  })),
  forbidden: declare('forbidden', 403, (scope: string, needed: string) => ({
    message: `This API key has scope '${scope}'; this route needs scope '${needed}'.`,
  })),
  rateLimited: declare('rate_limited', 429, (limit: number, retryAfterS: number) => ({
    message: `Rate limit of ${limit} requests per minute reached for this client; retry after ${retryAfterS} s.`,
    retryAfterS,
  })),
  tooManyInFlight: declare('too_many_in_flight', 429, (limit: number) => ({
    message: `This API key already has ${limit} requests in flight (ARGUS_MAX_CONCURRENT_PER_KEY); wait for one to finish.`,
    retryAfterS: 1,
  })),
  insecureBind: declare('insecure_bind', 400, (host: string) => ({
    message: `Refusing to serve on ${host} without API keys: create one with \`argus keys create --scope admin\` (or set ARGUS_API_KEYS), or pass --insecure (ARGUS_INSECURE=true) to serve without authentication.`,
  })),
  lastAdminKey: declare('last_admin_key', 409, (id: string) => ({
    message: `Key ${id} is the last admin key: revoking it would leave no key that can manage keys, and keys once on stay on (a server never falls back to open). Create another admin key first (POST /v1/keys {"scope": "admin"}), then revoke this one.`,
  })),
  requestTimeout: declare('request_timeout', 408, (ms: number) => ({
    message: `The request body did not arrive within ${ms} ms (ARGUS_BODY_TIMEOUT_MS); send it faster or in one go.`,
  })),
} as const;

/** True for errors the client caused (4xx): they are logged at a lower level than server faults. */
export function isClientError(error: unknown): boolean {
  return error instanceof ArgusError && error.status < 500;
}
