import type { ErrorBody } from '../errors.js';
import type { ExecutionProvider, IoSpec } from '../runtimes/types.js';
import type { InputSpec, OutputSpec, StageTimings } from '../tasks/types.js';
import type { ThumbnailSides, Thumbnails } from '../vision/thumbnail.js';
import type { WireInput } from './image-pipe.js';

/** Labels as the worker resolves them (paths already absolute). */
export type LabelSource =
  | { source: 'metadata'; key: string; fallback?: 'coco80' }
  | { source: 'inline'; values: string[] }
  | { source: 'file'; path: string }
  | { source: 'coco80' }
  | { source: 'none' };

/** Everything a worker process needs to load one model; sent once, right after spawn. */
export interface WorkerModelSpec {
  alias: string;
  task: string;
  runtime: string;
  /** Absolute path of the model file. */
  file: string;
  /** Absolute paths of the manifest's extra files by name (a second model, a dictionary). */
  files?: Record<string, string>;
  input?: InputSpec;
  /** How the task decodes the outputs (from the manifest); recognised from the model when absent. */
  output?: OutputSpec;
  labels: LabelSource;
  threads: number;
  /** Run the session on a thread of its own so the next request decodes during an inference (overlappable tasks on onnx). */
  overlap: boolean;
  provider: ExecutionProvider;
  requireProvider: boolean;
  maxPixels: number;
}

export interface LoadedModelInfo {
  provider: ExecutionProvider;
  fallbackReason?: string;
  sha256: string;
  labels: number;
  inputs: IoSpec[];
  outputs: IoSpec[];
  load_ms: number;
  /**
   * The model takes several requests in one run (every input and output has a dynamic first
   * axis, and the task is a template pipeline): the pool may send it `run-batch`.
   */
  batchable?: boolean;
  /**
   * The task decodes before it needs the session (a template pipeline), so the pool may hand the
   * worker a second request while one runs: its decode then overlaps the first's inference.
   */
  overlaps?: boolean;
}

/**
 * Parent → worker. A worker whose model `overlaps` takes a second `run` while one is running and
 * decodes it at once; its session still runs one request at a time. Streaming is additive: a
 * `run` with `partials: true` may be answered by any number of `partial` messages before its one
 * `result` or `failed`; `cancel` asks the runner to stop early (it still answers, with what it has).
 */
export type ParentMessage =
  | { type: 'load'; spec: WorkerModelSpec }
  /**
   * With `preview`, the worker follows the result with a `preview` message: the history's images,
   * made from its own decode where the task allows (undefined thumbnails where it does not).
   */
  | { type: 'run'; id: number; params: unknown; input: WireInput; partials?: boolean; preview?: ThumbnailSides }
  | { type: 'cancel'; id: number }
  /**
   * Several requests run as one batch (only to a worker whose model is `batchable`); each is
   * answered on its own id, and followed by a `preview` message when it has `preview`.
   */
  | { type: 'run-batch'; items: Array<{ id: number; params: unknown; input: WireInput; preview?: ThumbnailSides }> };

export type WorkerMessage =
  | { type: 'ready'; info: LoadedModelInfo; rss: number }
  | { type: 'load-failed'; error: ErrorBody & { status?: number } }
  | { type: 'partial'; id: number; data: unknown }
  /** `waited_ms`: how long the request, already decoded, waited in the worker for the one before it. */
  | { type: 'result'; id: number; output: unknown; timings: StageTimings; rss: number; batch?: number; waited_ms?: number }
  | { type: 'preview'; id: number; thumbnails?: Thumbnails }
  | { type: 'failed'; id: number; error: ErrorBody & { status?: number } };
