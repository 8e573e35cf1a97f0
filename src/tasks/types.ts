import type { TSchema } from 'typebox';
import { errors } from '../errors.js';
import type { RuntimeSession, TensorData } from '../runtimes/types.js';
import type { PixelTransform } from '../vision/tensor.js';
import type { PreviewSource } from '../vision/thumbnail.js';

/** How a model wants its image: the task reads this from the model's manifest. */
export interface InputSpec {
  name?: string;
  width: number;
  height: number;
  resize: 'letterbox' | 'stretch' | 'shorter-crop';
  resizeShorter?: number;
  pad: number;
  colour: 'rgb' | 'bgr';
  scale: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  dtype: 'float32' | 'float16';
  layout: 'nchw' | 'nhwc';
}

/** How a model's raw outputs are decoded, from its manifest. */
export interface OutputSpec {
  format: 'yolo' | 'centernet' | 'probabilities' | 'logits' | 'embedding' | 'clip';
}

/** Everything a pipeline needs about its model, resolved by the worker at load. */
export interface ModelContext {
  alias: string;
  session: RuntimeSession;
  input?: InputSpec;
  /** The manifest's output decoding; tasks recognise the head from the model's outputs when absent. */
  output?: OutputSpec;
  /** Class names by index (from the manifest, a labels file or the model's metadata). */
  labels: readonly string[];
  /** Largest accepted image in pixels; decoders refuse more. */
  maxPixels: number;
  /** Absolute paths of the manifest's extra `files`, by name (a second model, a dictionary). */
  files?: Readonly<Record<string, string>>;
  /**
   * Loads one of `files` as a further session with this worker's thread budget and provider, for
   * tasks that run several models (OCR detection + recognition, faces + their attributes).
   * `runtime` defaults to the model's own; such sessions live as long as the worker.
   */
  loadSession?(name: string, runtime?: string): Promise<RuntimeSession>;
}

/** Milliseconds spent in each stage of one request inside a worker. */
export interface StageTimings {
  decode_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  postprocess_ms: number;
}

/**
 * What a request brings besides its parameters. Images travel encoded (the worker decodes them);
 * which fields a task accepts is its {@link InputKind}.
 */
export interface TaskInput {
  image?: Uint8Array;
  /** Several images (chat messages, batch-like tasks), in order. */
  images?: Uint8Array[];
  text?: string;
}

/**
 * What a task takes besides parameters:
 * - `image`: exactly one image, no text;
 * - `image-or-text`: one image or one text, not both (CLIP-style embeddings);
 * - `text`: a text (a prompt), with an optional image (image edits);
 * - `images`: any number of images, with an optional text (chat);
 * - `optional-image-or-text`: one image, one text or neither (search by image, by text or by a
 *   stored id named in the params).
 */
export type InputKind = 'image' | 'image-or-text' | 'text' | 'images' | 'optional-image-or-text';

/** What the caller of a decode will want besides the model's input. */
export interface DecodeOptions {
  /**
   * The history's preview: decode so that `Pipeline.preview` can give one (a pipeline whose model
   * input cuts or squeezes the image then decodes the whole image once and resizes from it).
   */
  preview?: boolean;
}

/**
 * A task as a template method: decode → preprocess → run → postprocess. `runPipeline` times each
 * stage, so every task reports the same timings without writing them itself.
 */
export interface Pipeline<Params, Decoded, Output> {
  /** The model outputs `postprocess` reads; every output when absent. */
  readonly outputs?: readonly string[];
  decode(input: TaskInput, params: Params, options?: DecodeOptions): Promise<Decoded>;
  preprocess(decoded: Decoded, params: Params): Record<string, TensorData>;
  postprocess(outputs: Record<string, TensorData>, decoded: Decoded, params: Params): Output;
  /**
   * The decoded pixels the history's preview can be made from without decoding the image again
   * (a letterboxed input holds the whole image); absent where they would not do.
   */
  preview?(decoded: Decoded): PreviewSource | undefined;
}

/**
 * What a caller may hand a runner besides input and params. Both are optional, so runners that
 * neither stream nor stop early ignore them.
 */
export interface RunContext {
  /**
   * Sends an incremental result (for chat, `{delta: "text"}`) to the caller while the run goes on.
   * Present only when the caller asked to stream; the final output still carries the whole result.
   */
  emit?: (partial: unknown) => void;
  /** Aborted when the caller gives up (its client went away): a runner that can stop early should. */
  signal?: AbortSignal;
}

/**
 * A task that cannot be one decode → run → postprocess over one session (several models, a
 * library pipeline that does its own pre/post, iterative decoding). It times its own stages,
 * using the same four names so every result reports alike.
 */
/** A run's output and its stage timings, with the pixels a preview can be made from where the task has them. */
export interface RunnerResult<Output> {
  output: Output;
  timings: StageTimings;
  preview?: PreviewSource;
}

export interface TaskRunner<Params, Output> {
  run(input: TaskInput, params: Params, context?: RunContext): Promise<RunnerResult<Output>>;
  /** Frees what the runner holds beyond the session (the worker releases the session itself). */
  release?(): Promise<void>;
}

/** What the service knows of a model before a worker loads it: its manifest's alias, runtime and output format. */
export interface ModelFacts {
  alias: string;
  runtime: string;
  output?: OutputSpec;
}

/** One entry of the task table. */
export interface TaskDefinition<Params = unknown, Output = unknown> {
  readonly name: string;
  /** What a request must bring. @defaultValue 'image' */
  readonly input?: InputKind;
  /** Request parameters (JSON Schema); the service validates and fills defaults with it. */
  readonly params: TSchema;
  /** Smallest image side the task can use; the service refuses smaller images with a 422 before queueing. */
  readonly minImageSide?: number;
  /**
   * Refuses, before anything is queued or loaded, a request this model cannot serve (labels for a
   * classifier that is not zero-shot, text for an image-only embedder), with a 4xx. Optional.
   */
  checkRequest?(model: ModelFacts, params: Params, input: { image: boolean; text: boolean }): void;
  /**
   * Its models usually get a template pipeline (decode needs no session), so a worker may run the
   * session on a thread of its own and decode the next request meanwhile (see workers/entry.ts).
   */
  readonly overlappable?: boolean;
  /** Builds the work for one loaded model: a timed template pipeline, or a runner of its own. */
  createPipeline(model: ModelContext): Pipeline<Params, unknown, Output> | TaskRunner<Params, Output> | Promise<TaskRunner<Params, Output>>;
}

export function isRunner<P, O>(work: Pipeline<P, unknown, O> | TaskRunner<P, O>): work is TaskRunner<P, O> {
  return typeof (work as TaskRunner<P, O>).run === 'function';
}

export function pixelTransform(input: InputSpec): PixelTransform {
  return { scale: input.scale, mean: input.mean, std: input.std, bgr: input.colour === 'bgr' };
}

/** The one image of an image task; the service guarantees it, so its absence is a bug, said plainly. */
export function requireImage(input: TaskInput): Uint8Array {
  if (!input.image) throw errors.missingImage('this task needs an image.');
  return input.image;
}
