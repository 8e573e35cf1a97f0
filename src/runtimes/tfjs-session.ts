/**
 * The tfjs runtime's implementation, imported only by workers that load a tfjs model (see
 * `tfjs.ts`). tfjs-core has no file:// loader without tfjs-node (which downloads libtensorflow at
 * install), so the model is read from disk here and handed to tfjs as in-memory artifacts.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { IoSpec, LoadSpec, RuntimeSession, TensorData, TensorType } from './types.js';

const requireFromHere = createRequire(import.meta.url);
/** The .wasm binaries ship in the package's dist folder; Emscripten reads them from disk in Node. */
const WASM_DIR = join(dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + sep;

let backendReady: Promise<void> | undefined;

/** Selects the wasm backend once per process, single-threaded; fails loudly rather than falling back to tfjs's JS backend. */
function wasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    setWasmPaths(WASM_DIR);
    // Argus budgets threads per worker; in Node the wasm backend has no thread pool anyway.
    setThreadsCount(1);
    const selected = await tf.setBackend('wasm');
    await tf.ready();
    if (!selected || tf.getBackend() !== 'wasm') throw new Error(`tfjs could not start its wasm backend from ${WASM_DIR}`);
  })();
  return backendReady;
}

interface SignatureTensor {
  name?: string;
  dtype?: string;
  tensorShape?: { dim?: Array<{ size?: string | number }> };
}

/** The parts of a converted model.json that Argus reads. */
interface ModelJson extends tf.io.ModelJSON {
  signature?: { inputs?: Record<string, SignatureTensor>; outputs?: Record<string, SignatureTensor> };
}

const SIGNATURE_DTYPES: Record<string, TensorType> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_STRING: 'string' };

function signatureSpec(name: string, entry: SignatureTensor | undefined, fallback: tf.ModelTensorInfo | undefined): IoSpec {
  const dims = entry?.tensorShape?.dim;
  const shape = dims ? dims.map((d) => Number(d.size ?? -1)) : (fallback?.shape ?? []);
  const type = (entry?.dtype && SIGNATURE_DTYPES[entry.dtype]) ?? fallback?.dtype ?? 'unknown';
  return { name, type, shape };
}

/** Reads the weight shards a model.json names, refusing paths that leave the model's folder. */
async function readWeights(dir: string, manifest: tf.io.WeightsManifestConfig): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs = manifest.flatMap((group) => group.weights);
  const shards: Buffer[] = [];
  for (const group of manifest) {
  for (const path of group.paths) {
      const file = resolve(dir, path);
      const inside = relative(dir, file);
      if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`weight path ${path} leaves the model folder`);
      shards.push(await readFile(file));
  }
  }
  const all = Buffer.concat(shards);
  return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
}

function toTf(name: string, t: TensorData): tf.Tensor {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
    case 'int32':
    case 'bool':
      return tf.tensor(t.data as Float32Array | Int32Array | Uint8Array, dims, t.type);
    case 'string':
      return tf.tensor(t.data as string[], dims, 'string');
    case 'uint8':
    case 'int8':
      return tf.tensor(Int32Array.from(t.data as Uint8Array | Int8Array), dims, 'int32');
    case 'int64': {
      const data = t.data as BigInt64Array;
      const out = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        if (data[i] > 2147483647n || data[i] < -2147483648n) throw new Error(`input ${name}: int64 value ${data[i]} does not fit tfjs's int32`);
        out[i] = Number(data[i]);
      }
      return tf.tensor(out, dims, 'int32');
  }
    case 'float16':
      throw new Error(`input ${name}: tfjs has no float16 tensors; feed float32`);
  }
}

async function fromTf(name: string, t: tf.Tensor): Promise<TensorData> {
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return { type: 'float32', data: (await t.data<'float32'>()), dims };
    case 'int32':
      return { type: 'int32', data: (await t.data<'int32'>()), dims };
    case 'bool':
      return { type: 'bool', data: (await t.data<'bool'>()), dims };
    case 'string': {
      const decoder = new TextDecoder();
      const bytes = (await t.data<'string'>()) as unknown as Uint8Array[];
      return { type: 'string', data: bytes.map((b) => decoder.decode(b)), dims };
  }
    default:
      throw new Error(`output ${name} has dtype ${t.dtype}, which Argus cannot pass on`);
  }
}

class TfjsSession implements RuntimeSession {
  readonly provider = 'wasm' as const;
  private readonly outputNames: string[];
  private needsAsync = false;

  constructor(
    private readonly model: GraphModel,
    readonly inputs: readonly IoSpec[],
    readonly outputs: readonly IoSpec[],
    readonly metadata: Readonly<Record<string, string>>,
    readonly fallbackReason?: string,
  ) {
    this.outputNames = outputs.map((o) => o.name);
  }

  async run(feeds: Record<string, TensorData>, outputs?: readonly string[]): Promise<Record<string, TensorData>> {
    const names = outputs ? [...outputs] : this.outputNames;
  const inputs: Record<string, tf.Tensor> = {};
    let results: tf.Tensor[] = [];
    try {
      for (const [name, tensor] of Object.entries(feeds)) inputs[name] = toTf(name, tensor);
      const out = this.needsAsync ? await this.model.executeAsync(inputs, names) : await this.executeSync(inputs, names);
      results = Array.isArray(out) ? out : [out];
      const result: Record<string, TensorData> = {};
      for (let i = 0; i < names.length; i++) result[names[i]] = await fromTf(names[i], results[i]);
      return result;
  } finally {
      // Every tensor made for this run is freed here, whether it succeeded or not: wasm memory
      // never shrinks, so a leak per request would grow the worker until it is evicted.
      tf.dispose([...Object.values(inputs), ...results]);
  }
  }

  /**
   * Plain graphs run synchronously. tfjs refuses `execute` on graphs with control flow or dynamic
   * shapes (and warns on every `executeAsync` of a plain graph), so a graph that needs the async
   * executor switches to it on its first run, for good.
   */
  private executeSync(inputs: Record<string, tf.Tensor>, names: string[]): tf.Tensor | tf.Tensor[] | Promise<tf.Tensor | tf.Tensor[]> {
    try {
      return this.model.execute(inputs, names);
    } catch (error) {
      if (!/executeAsync/.test((error as Error).message)) throw error;
      this.needsAsync = true;
      return this.model.executeAsync(inputs, names);
    }
  }

  async release(): Promise<void> {
    this.model.dispose();
  }
}

/** Loads a tfjs graph model on the WebAssembly backend (CPU, SIMD, one thread); its session reports provider `wasm`. */
export async function loadTfjsSession(spec: LoadSpec): Promise<RuntimeSession> {
  const notes: string[] = [];
  if (spec.provider === 'cuda') {
    const reason = 'cuda execution provider unavailable: tfjs models run on the WebAssembly backend (CPU)';
    if (spec.requireProvider) throw new Error(reason);
    notes.push(reason);
  }
  await wasmBackend();
  if (spec.threads > getThreadsCount()) {
    notes.push(`tfjs-backend-wasm runs ${getThreadsCount()} thread(s) in Node; ${spec.threads} were requested`);
  }
  const text = spec.bytes ? Buffer.from(spec.bytes).toString('utf8') : await readFile(spec.file, 'utf8');
  const json = JSON.parse(text) as ModelJson;
  if (json.format !== undefined && json.format !== 'graph-model') {
    throw new Error(`${spec.file} is a tfjs ${json.format}; only graph models (tfjs-converter output) are supported`);
  }
  const dir = dirname(resolve(spec.file));
  const artifacts = await tf.io.getModelArtifactsForJSON(json, (manifest) => readWeights(dir, manifest));
  const model = await loadGraphModel({ load: () => Promise.resolve(artifacts) });
  const inputs = model.inputs.map((i) => signatureSpec(i.name, json.signature?.inputs?.[i.name], i));
  const outputs = model.outputs.map((o) => signatureSpec(o.name, json.signature?.outputs?.[o.name], o));
  const metadata: Record<string, string> = {};
  for (const key of ['format', 'generatedBy', 'convertedBy'] as const) if (typeof json[key] === 'string') metadata[key] = json[key];
  for (const [key, value] of Object.entries(json.userDefinedMetadata ?? {})) {
    metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return new TfjsSession(model, inputs, outputs, metadata, notes.length ? notes.join('; ') : undefined);
}
