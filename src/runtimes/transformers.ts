import { basename, dirname } from 'node:path';
import type { LoadSpec, Runtime, RuntimeSession } from './types.js';

/**
 * transformers.js models are folders (config.json, tokenizer files, onnx/*.onnx) run by the
 * library's own pipelines and model classes, not one graph fed by Argus. So a "session" here is
 * where the model is and how to load it locally; the task runner does the loading and running
 * (through onnxruntime-node, which transformers.js shares with the onnx runtime).
 */
export interface TransformersSession extends RuntimeSession {
  /** Absolute path of the model folder. */
  readonly modelDir: string;
  /** What to pass as `model` to `pipeline()` / `from_pretrained()`: the folder name under `localModelPath`. */
  readonly modelId: string;
  /** Options every load should take: CPU, the thread budget, no network. */
  readonly loadOptions: { device: 'cpu'; local_files_only: true; session_options: { intraOpNumThreads: number; interOpNumThreads: number } };
}

let configured: string | undefined;

/** transformers.js keeps its settings in one global `env`; a worker hosts one model, so set once. */
async function configure(modelDir: string): Promise<void> {
  const root = dirname(modelDir);
  if (configured === root) return;
  const { env } = await import('@huggingface/transformers');
  // Never fetch: models are pulled on purpose by `argus models pull`, never by surprise at run time.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${root}/`;
  env.useFSCache = false;
  configured = root;
}

export const transformersRuntime: Runtime = {
  name: 'transformers',
  async load(spec: LoadSpec): Promise<RuntimeSession> {
    if (spec.provider !== 'cpu' && spec.requireProvider) {
      throw new Error(`${spec.provider} execution provider unavailable: transformers.js models run on the CPU in this build`);
    }
    await configure(spec.file);
    const session: TransformersSession = {
      provider: 'cpu',
      fallbackReason: spec.provider !== 'cpu' ? `${spec.provider} was asked for; transformers.js models run on the CPU in this build` : undefined,
      inputs: [],
      outputs: [],
      metadata: {},
      modelDir: spec.file,
      modelId: basename(spec.file),
      loadOptions: { device: 'cpu', local_files_only: true, session_options: { intraOpNumThreads: spec.threads, interOpNumThreads: 1 } },
      run: () => Promise.reject(new Error('transformers.js models are run by their task runner, not fed tensors directly')),
      release: async () => undefined,
    };
    return session;
  },
};
