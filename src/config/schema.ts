import Type, { type Static } from 'typebox';

/** Per-model overrides, keyed by alias in the config file (`models: {yolov8n: {instances: 2}}`). */
export const ModelOverrides = Type.Object(
  {
    instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Worker processes for this model.' })),
    threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'Intra-op threads per worker.' })),
    idleTtlS: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds idle before this model is unloaded; 0 = never.' })),
    maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'Dynamic batching: most requests in one model run (models with a dynamic batch axis only); 1 = off.' })),
    maxWaitMs: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'Dynamic batching: longest a request waits for its batch to fill, in ms; 0 = run what is waiting.' })),
    overlap: Type.Optional(Type.Boolean({ description: 'Overlap decode with inference: the session runs on a thread of its own and a busy worker is handed the next request to decode meanwhile (detect, classify and embed on onnx, when not batching). Default: on with a GPU provider or when workers × threads leave cores free; off otherwise.' })),
  },
  { additionalProperties: false },
);

/**
 * The whole Argus configuration. Every key can be set in the config file (lower camel case) and every
 * scalar key in the environment as `ARGUS_` + its name in upper snake case (`maxUploadBytes` →
 * `ARGUS_MAX_UPLOAD_BYTES`). Defaults are the `default` of each property.
 */
export const ConfigSchema = Type.Object(
  {
    /** TCP port of the HTTP API. @defaultValue 8000 */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'TCP port of the HTTP API.' }),
    /** Address to bind. @defaultValue 127.0.0.1 (loopback only) */
    host: Type.String({ default: '127.0.0.1', description: 'Address to bind; loopback by default.' }),
    /** Folder holding model files and user manifests. @defaultValue ./models */
    modelsDir: Type.String({ default: './models', description: 'Folder holding model files and manifests.' }),
    /**
     * Folders besides the models directory that manifests may point model files into (symbolic
     * links resolved); anything else a manifest names is refused. @defaultValue []
     */
    modelRoots: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Extra folders model files may lie in; manifests pointing elsewhere are refused.' }),
    /** Folder for the embedded database, queued uploads and other state. @defaultValue ./data */
    dataDir: Type.String({ default: './data', description: 'Folder for the embedded database and uploads.' }),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info', description: 'pino log level.' }),
    /** Largest accepted upload, in bytes. @defaultValue 10 MiB */
    maxUploadBytes: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024, description: 'Largest upload in bytes.' }),
    /** Largest accepted image, in pixels (width × height), checked from the header before decoding. @defaultValue 40 MP */
    maxPixels: Type.Integer({ minimum: 1, default: 40_000_000, description: 'Largest image in pixels, checked before decoding.' }),
    /** Model used when a detection request names none. @defaultValue yolov8n */
    defaultDetectModel: Type.String({ default: 'yolov8n', description: 'Model used when a detect request names none.' }),
    /** Default model per task for requests that name none, e.g. `{classify: squeezenet}` (`detect` falls back to defaultDetectModel). */
    defaultModels: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Default model per task, e.g. {"classify": "squeezenet"}.' }),
    /** Keep uploaded images of async jobs after the job ends (otherwise they are deleted). @defaultValue false */
    keepUploads: Type.Boolean({ default: false, description: 'Keep async-job uploads after the job ends.' }),
    /** How long a claimed async job may go without a heartbeat before it is handed to another runner. @defaultValue 30000 */
    jobLeaseMs: Type.Integer({ minimum: 200, default: 30_000, description: 'Async job lease; an expired lease re-queues the job.' }),
    /** Async jobs run at once (0: as many as the machine has cores). @defaultValue 0 */
    jobConcurrency: Type.Integer({ minimum: 0, default: 0, description: 'Async jobs run at once; 0 = one per core.' }),
    /** Requests waiting for one model's workers before new ones get 503 + Retry-After. @defaultValue 256 */
    maxQueueDepth: Type.Integer({ minimum: 1, default: 256, description: 'Waiting requests per model before 503.' }),
    /** Async jobs waiting (per model queue when distributed) beyond which submissions get 429. @defaultValue 10000 */
    maxJobQueueDepth: Type.Integer({ minimum: 1, default: 10_000, description: 'Waiting async jobs before 429.' }),
    /** Longest a synchronous request waits for its result. @defaultValue 120000 */
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 120_000, description: 'Longest a sync request waits, in ms.' }),
    /** CPU cores Argus may use for inference threads (0: all the machine has). @defaultValue 0 */
    cpuCores: Type.Integer({ minimum: 0, default: 0, description: 'Cores for inference threads; 0 = all.' }),
    heapGrowingPercent: Type.Integer({ minimum: 0, maximum: 1000, default: 100, description: 'How far past what the last full garbage collection kept V8 lets the heap of `serve` and `worker` grow, in percent (V8 --heap-growing-percent); 0 = V8 decides.' }),
    /** onnxruntime execution provider. @defaultValue cpu */
    executionProvider: Type.Union([Type.Literal('cpu'), Type.Literal('cuda')], {
      default: 'cpu',
      description: 'onnxruntime execution provider; the one a session really got is always reported.',
    }),
    /** Memory the model workers may use together, in MiB (0: three quarters of the machine's memory). @defaultValue 0 */
    memoryBudgetMb: Type.Integer({ minimum: 0, default: 0, description: 'Memory for model workers together, MiB; 0 = 75% of RAM.' }),
    /** Seconds a model may sit idle before its workers stop (0: never). @defaultValue 300 */
    idleTtlS: Type.Integer({ minimum: 0, default: 300, description: 'Idle seconds before a model is unloaded; 0 = never.' }),
    /** Models loaded at start and never unloaded for idleness or memory (comma-separated in the environment). */
    preload: Type.Array(Type.String(), { default: [], description: 'Models loaded at start and pinned.' }),
    /** Longest a request waits for memory to be freed for its model before a 503. @defaultValue 30000 */
    loadWaitMs: Type.Integer({ minimum: 0, default: 30_000, description: 'Wait for memory before 503, in ms.' }),
    /** Fail model loads that cannot get the configured GPU provider instead of running on CPU. @defaultValue false */
    requireGpu: Type.Boolean({ default: false, description: 'A load that cannot get the GPU fails instead of using the CPU.' }),
    /** Pipeline config file (JSON or YAML) with the scene-analysis cameras loaded at start; none when empty. @defaultValue '' */
    pipelineConfig: Type.String({ default: '', description: 'Scene-analysis cameras file (JSON or YAML) loaded at start.' }),
    /**
     * ffmpeg executable for video and live streams (ffprobe is expected beside it). Unset: the
     * system's ffmpeg on PATH when it runs, else the one packaged with Argus.
     * @defaultValue (unset: system, then packaged)
     */
    ffmpegPath: Type.Optional(Type.String({ minLength: 1, description: 'ffmpeg executable for video and streams; ffprobe beside it. Unset: the system ffmpeg on PATH, else the packaged one.' })),
    /** Live streams analysed at once; more are refused with 409. @defaultValue 4 */
    maxStreams: Type.Integer({ minimum: 0, default: 4, description: 'Live streams analysed at once.' }),
    /**
     * Redis for distributed mode (BullMQ), e.g. redis://host:6379, or a Sentinel deployment:
     * redis+sentinel://[:password@]host:26379,host2:26379/masterName[/db][?sentinelPassword=…].
     * With dbUrl: API nodes and worker nodes share work.
     */
    queueUrl: Type.Optional(Type.String({ pattern: '^(rediss?|redis\\+sentinel)://', description: 'Redis URL (redis://, rediss://, redis+sentinel://): distributed mode (with dbUrl).' })),
    /** PostgreSQL for distributed mode, e.g. postgres://user@host/argus. */
    dbUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL URL: distributed mode (with queueUrl).' })),
    /** Prefix of every Redis key, so several deployments can share one Redis. @defaultValue argus */
    queuePrefix: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'argus', description: 'Prefix of Redis keys.' }),
    /** Models a worker node serves (`argus worker --models`); all installed when empty. */
    workerModels: Type.Array(Type.String(), { default: [], description: 'Models a worker node serves; all installed when empty.' }),
    /** How long a request for a model no worker node serves waits for one before 503. @defaultValue 2000 */
    noWorkerWaitMs: Type.Integer({ minimum: 0, default: 2_000, description: 'Wait for a worker node serving the model, ms.' }),
    /** Finished async jobs are kept (PostgreSQL, Redis, SQLite) for this many hours. @defaultValue 168 */
    jobRetentionHours: Type.Number({ minimum: 0.0001, default: 168, description: 'Hours finished jobs are kept.' }),
    /** How often API nodes reconcile job records with the queue and purge old jobs. @defaultValue 30000 */
    reconcileIntervalMs: Type.Integer({ minimum: 100, default: 30_000, description: 'Job reconciliation and cleanup interval, ms.' }),
    /** BullMQ lock: a job whose worker stops renewing it for this long is redelivered. @defaultValue 15000 */
    lockDurationMs: Type.Integer({ minimum: 1_000, default: 15_000, description: 'Job lock duration, ms.' }),
    /** How often worker nodes check for stalled jobs. @defaultValue 10000 */
    stalledIntervalMs: Type.Integer({ minimum: 500, default: 10_000, description: 'Stalled-job check interval, ms.' }),
    /** Redeliveries of a stalled job before it fails. @defaultValue 2 */
    maxStalledCount: Type.Integer({ minimum: 1, default: 2, description: 'Redeliveries of a stalled job before it fails.' }),
    /** How often a worker node renews its announcement in Redis. @defaultValue 2000 */
    heartbeatIntervalMs: Type.Integer({ minimum: 100, default: 2_000, description: 'Worker node heartbeat interval, ms.' }),
    /** A worker node whose announcement is this old counts as gone (frozen, or cut off); keep it several heartbeats long. @defaultValue 8000 */
    nodeTimeoutMs: Type.Integer({ minimum: 500, default: 8_000, description: 'A worker node silent this long counts as gone, ms.' }),
    /** How often an API node checks its waiting sync requests for lost jobs and dead nodes. @defaultValue 1000 */
    requestCheckIntervalMs: Type.Integer({ minimum: 50, default: 1_000, description: 'Sync request watchdog interval, ms.' }),
    /** How long a sync request in flight waits for a dropped Redis connection (a failover) before 503 queue_unavailable. @defaultValue 10000 */
    queueOutageWaitMs: Type.Integer({ minimum: 0, default: 10_000, description: 'Wait for a dropped Redis connection, ms.' }),
    /** Most results one similarity search may ask for (`k`). @defaultValue 100 */
    searchMaxK: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Most results one search may ask for (k).' }),
    /** Finished requests and jobs the dashboard's history keeps (result + small JPEG previews), newest first; 0 keeps none and makes no thumbnails. @defaultValue 200 */
    historySize: Type.Integer({ minimum: 0, maximum: 100_000, default: 200, description: 'Results kept in the history (with previews); 0 = none.' }),
    /** Largest image one `POST /upload/` or `/upload/batch` file may be, in bytes (0: maxUploadBytes). @defaultValue 0 */
    fileMaxBytes: Type.Integer({ minimum: 0, default: 0, description: 'Largest stored image (recognizer uploads), bytes; 0 = maxUploadBytes.' }),
    /** Files one `POST /upload/batch` may carry (each is buffered, so this bounds a request's memory). @defaultValue 20 */
    uploadBatchMaxFiles: Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'Files one upload batch may carry.' }),
    /** Model that recognizes stored images (`/inference/…`): a classifier, or a zero-shot CLIP model with recognizeLabels; empty: the first installed CLIP model, else the default classifier. @defaultValue '' */
    recognizeModel: Type.String({ default: '', description: 'Model for /inference: a classifier or a CLIP model; empty = CLIP if installed, else the default classifier.' }),
    /** Labels a zero-shot recognizer chooses from: a built-in label set (`stanford-cars`) or a text file, one label per line. @defaultValue stanford-cars */
    recognizeLabels: Type.String({ minLength: 1, default: 'stanford-cars', description: 'Label set for zero-shot recognition: stanford-cars or a file.' }),
    /** How each label is put to a zero-shot model; `{label}` is replaced by the label. @defaultValue 'a photo of a {label}.' */
    recognizePrompt: Type.String({ pattern: '\\{label\\}', default: 'a photo of a {label}.', description: 'Zero-shot prompt; {label} is replaced by each label.' }),
    /** Predictions kept per recognized image, best first (the original kept its top 3). @defaultValue 3 */
    recognizeTopK: Type.Integer({ minimum: 1, maximum: 50, default: 3, description: 'Predictions kept per recognized image.' }),
    /**
     * `POST /inference/batch` with more distinct image ids than this runs as an async job (202); 0:
     * always a job. The default is the most ids a batch may name, so every batch is answered at once
     * with the list, as the original's clients expect; lower it only for clients that read a 202.
     * @defaultValue 10000
     */
    recognizeBatchSyncMax: Type.Integer({ minimum: 0, default: 10_000, description: 'Larger inference batches run as async jobs (202); 0 = always; 10000 (default) = never.' }),
    /** Also keep each recognized image's embedding in the vector index (searchable with /v1/search). @defaultValue false */
    filesIndex: Type.Boolean({ default: false, description: 'Embed recognized images into the vector index.' }),
    /** Hosts (exact names) and addresses/CIDRs that image URLs may reach although private, loopback or link-local. @defaultValue [] */
    urlAllowlist: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Hosts and CIDRs image URLs (and video and stream sources) may reach despite the private-address rules.' }),
    /**
     * Camera networks: hosts (exact names) and addresses/CIDRs that video and live-stream sources
     * (rtsp, rtsps, http, https) may reach although private, loopback or link-local. Image URLs
     * are not affected. @defaultValue []
     */
    streamAllowlist: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Hosts and CIDRs video and stream sources (cameras) may reach despite the private-address rules; not image URLs.' }),
    /** Longest wait for an image URL's server to accept the connection. @defaultValue 5000 */
    urlConnectTimeoutMs: Type.Integer({ minimum: 100, default: 5_000, description: 'Connect timeout for image URLs, ms.' }),
    /** Longest an image URL fetch may take in all (redirects and body included). @defaultValue 20000 */
    urlTimeoutMs: Type.Integer({ minimum: 100, default: 20_000, description: 'Total timeout for fetching an image URL, ms.' }),
    /** Per-model overrides by alias (config file only). */
    models: Type.Record(Type.String(), ModelOverrides, { default: {}, description: 'Per-model overrides by alias.' }),
    // Security (docs/security.md): API keys, limits per key, CORS, overload.
    /** API keys accepted besides the keys file, each `[inference:|admin:]<secret>` (comma-separated in the environment). @defaultValue [] */
    apiKeys: Type.Array(Type.String({ minLength: 16 }), { default: [], description: 'API keys, each [inference:|admin:]<secret>; none = no auth (loopback only).' }),
    /** Keys file written by `argus keys create` (hashes only); empty: `<dataDir>/api-keys.json`. @defaultValue '' */
    apiKeysFile: Type.String({ default: '', description: 'Keys file (hashed keys) of `argus keys`; empty = <dataDir>/api-keys.json.' }),
    /** Serve on an address other than loopback with no API keys configured. @defaultValue false */
    insecure: Type.Boolean({ default: false, description: 'Allow binding beyond loopback without API keys.' }),
    /** Requests per minute per API key (per client address for unauthenticated clients off loopback); 0 = no limit. @defaultValue 600 */
    rateLimitPerMinute: Type.Integer({ minimum: 0, default: 600, description: 'Requests per minute per key; 0 = unlimited.' }),
    /** Requests one API key may have in flight at once; more get 429. 0 = no cap. @defaultValue 16 */
    maxConcurrentPerKey: Type.Integer({ minimum: 0, default: 16, description: 'Requests in flight per key; 0 = no cap.' }),
    /** Origins allowed to call the API from a browser (CORS); empty = CORS off, `*` = any. @defaultValue [] */
    corsOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Origins allowed by CORS; empty = off.' }),
    /** Event-loop delay beyond which requests get 503 + Retry-After (health stays up); 0 = off. @defaultValue 1000 */
    maxEventLoopDelayMs: Type.Integer({ minimum: 0, default: 1_000, description: 'Event-loop delay before 503s, ms; 0 = off.' }),
    /** Longest one model run may take before its worker counts as stuck: killed and replaced, the request fails with 504. 0 = no limit. @defaultValue 300000 */
    inferenceTimeoutMs: Type.Integer({ minimum: 0, default: 300_000, description: 'Longest one model run before its worker is killed as stuck, ms; 0 = none.' }),
    /** Longest a request body may take to arrive (slow clients are cut off with 408). @defaultValue 30000 */
    bodyTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'Longest a request (headers and body) may take to arrive, ms.' }),
    /** Pull a missing url/huggingface model on first use instead of failing with a pull hint. @defaultValue false */
    allowPulls: Type.Boolean({ default: false, description: 'Pull a missing url/huggingface model on first use.' }),
    /** Hugging Face Hub (or mirror) that `huggingface` sources are pulled from. @defaultValue https://huggingface.co */
    huggingfaceEndpoint: Type.String({ pattern: '^https?://', default: 'https://huggingface.co', description: 'Hugging Face Hub or mirror to pull from.' }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ModelOverrides = Static<typeof ModelOverrides>;
