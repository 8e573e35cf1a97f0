import ort from 'onnxruntime-node';
import { isDirectory, loadOnnxFolder } from './onnx-folder.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import type { ExecutionProvider, IoSpec, LoadSpec, Runtime, RuntimeSession, TensorData, TensorType } from './types.js';

function ioSpecs(metadata: readonly ort.InferenceSession.ValueMetadata[]): IoSpec[] {
  return metadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? m.shape : [],
  }));
}

function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.type, t.data as never, t.dims);
}

function fromOrt(t: ort.Tensor): TensorData {
  return { type: t.type as TensorType, data: t.data as TensorData['data'], dims: t.dims };
}

class OnnxSession implements RuntimeSession {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
    readonly metadata: Record<string, string>,
    readonly fallbackReason?: string,
  ) {}

  get inputs(): IoSpec[] {
    return ioSpecs(this.session.inputMetadata);
  }

  get outputs(): IoSpec[] {
    return ioSpecs(this.session.outputMetadata);
  }

  async run(feeds: Record<string, TensorData>, fetches?: readonly string[]): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
    const outputs = fetches ? await this.session.run(ortFeeds, [...fetches]) : await this.session.run(ortFeeds);
    const result: Record<string, TensorData> = {};
    for (const [name, tensor] of Object.entries(outputs)) result[name] = fromOrt(tensor);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Opens one graph (its bytes, or a path so external weight files beside it are found) with the
 * spec's threads and provider. CPU by default; CUDA when asked, falling back to the CPU loudly
 * (the reason is kept and reported) unless the provider is required.
 */
async function openGraph(model: string | Uint8Array, spec: LoadSpec, metadata: Record<string, string> = {}): Promise<RuntimeSession> {
  const options = (provider: ExecutionProvider): ort.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    intraOpNumThreads: spec.threads,
    // One request at a time per worker: inter-op parallelism would only add threads beyond the budget.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const create = (provider: ExecutionProvider) =>
    typeof model === 'string' ? ort.InferenceSession.create(model, options(provider)) : ort.InferenceSession.create(model, options(provider));
  if (spec.provider === 'cpu') return new OnnxSession(await create('cpu'), 'cpu', metadata);
  try {
    return new OnnxSession(await create(spec.provider), spec.provider, metadata);
  } catch (error) {
    const reason = `${spec.provider} execution provider unavailable: ${(error as Error).message.split('\n')[0]}`;
    if (spec.requireProvider) throw new Error(reason);
    return new OnnxSession(await create('cpu'), 'cpu', metadata, reason);
  }
}

/** onnxruntime-node: one graph file, or a folder of component graphs (a Stable Diffusion export). */
export const onnxRuntime: Runtime = {
  name: 'onnx',
  async load(spec: LoadSpec): Promise<RuntimeSession> {
    if (!spec.bytes && (await isDirectory(spec.file))) return loadOnnxFolder(spec, openGraph);
    const bytes = spec.bytes;
    return openGraph(bytes ?? spec.file, spec, bytes ? readOnnxMetadata(bytes) : {});
  },
};
