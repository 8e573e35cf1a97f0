import type { LoadSpec, Runtime, RuntimeSession } from './types.js';

/**
 * TensorFlow.js graph models (model.json + weight shards) on tfjs-backend-wasm: the permissively
 * licensed models that ship inside npm packages (e.g. `@vladmandic/human`), so a fresh install
 * serves without downloading anything. Sessions report provider `wasm`.
 *
 * tfjs is imported on first load, not with this module: every worker registers this runtime, and
 * importing tfjs-core + converter + the wasm backend costs about 0.8 s and 30 MB of RSS, which
 * workers serving ONNX models should not pay.
 */
export const tfjsRuntime: Runtime = {
  name: 'tfjs',
  async load(spec: LoadSpec): Promise<RuntimeSession> {
    const { loadTfjsSession } = await import('./tfjs-session.js');
    return loadTfjsSession(spec);
  },
};
