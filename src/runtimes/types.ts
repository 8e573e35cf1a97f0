/**
 * The runtime boundary (after Triton's backend API): load → run → release. Runtimes know how to
 * load and run a model and nothing about tasks, manifests or HTTP.
 */

export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool' | 'string';

export type TensorArray = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | string[];

/** A tensor as tasks see it: typed data in row-major order with its dimensions. */
export interface TensorData {
  type: TensorType;
  data: TensorArray;
  dims: readonly number[];
}

/** One model input or output: its name, element type and shape (-1 or a name for a dynamic axis). */
export interface IoSpec {
  name: string;
  type: TensorType | string;
  shape: ReadonlyArray<number | string>;
}

/**
 * Where a session computes: onnxruntime's CPU or CUDA provider, tfjs's WebAssembly backend (CPU,
 * SIMD), or `remote`: another server (an upstream OpenAI-compatible API) computes.
 */
export type ExecutionProvider = 'cpu' | 'cuda' | 'wasm' | 'remote';

export interface LoadSpec {
  /** Path of the model file (for messages and for runtimes that load by path). */
  file: string;
  /** The file's bytes when the caller already read them (they are also hashed and parsed for metadata). */
  bytes?: Uint8Array;
  /** Intra-op threads. */
  threads: number;
  provider: ExecutionProvider;
  /** Fail instead of falling back to CPU when the provider cannot be had. */
  requireProvider?: boolean;
}

export interface RuntimeSession {
  /** The execution provider the session really got. */
  readonly provider: ExecutionProvider;
  /** Set when the requested provider could not be had and the session fell back; said in every status. */
  readonly fallbackReason?: string;
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  /** Free-form key/value metadata stored in the model file. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Runs one inference and returns the named outputs (every output when `outputs` is absent).
   * Naming them spares copying outputs nobody reads. Calls on one session are serialised by its
   * owner (one request at a time per worker).
   */
  run(feeds: Record<string, TensorData>, outputs?: readonly string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  load(spec: LoadSpec): Promise<RuntimeSession>;
}
