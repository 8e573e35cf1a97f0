/**
 * A thread that owns one onnxruntime session (see onnx-thread.ts): it loads the model with the
 * same code as an in-process session and answers runs, so the model worker's main thread stays
 * free while a run computes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { onnxRuntime } from './onnx.js';
import type { TensorData } from './types.js';
import type { SessionThreadReply, SessionThreadRequest, SessionThreadSetup } from './onnx-thread.js';

const port = parentPort!;
const setup = workerData as SessionThreadSetup;

/** Typed-array outputs go back by transfer (no copy); string tensors are cloned. */
function transferList(outputs: Record<string, TensorData>): ArrayBuffer[] {
  return Object.values(outputs).flatMap((t) => (ArrayBuffer.isView(t.data) && t.data.buffer instanceof ArrayBuffer ? [t.data.buffer] : []));
}

const loading = onnxRuntime.load(setup.spec);
loading.then(
  (session) => port.postMessage({
    type: 'ready', inputs: [...session.inputs], outputs: [...session.outputs], metadata: { ...session.metadata },
    provider: session.provider, fallbackReason: session.fallbackReason,
  } satisfies SessionThreadReply),
  (error: unknown) => port.postMessage({ type: 'load-failed', message: (error as Error)?.message ?? String(error) } satisfies SessionThreadReply),
);

port.on('message', (request: SessionThreadRequest) => {
  void loading.then(async (session) => {
    if (request.type === 'release') {
      await session.release();
      port.postMessage({ type: 'released' } satisfies SessionThreadReply);
      return;
    }
    try {
      const outputs = await session.run(request.feeds, request.fetches);
      port.postMessage({ type: 'outputs', id: request.id, outputs } satisfies SessionThreadReply, transferList(outputs));
    } catch (error) {
      port.postMessage({ type: 'run-failed', id: request.id, message: (error as Error)?.message ?? String(error) } satisfies SessionThreadReply);
    }
  }, () => undefined);
});
