import { Worker } from 'node:worker_threads';
import { threadModule } from '../child-module.js';
import type { ExecutionProvider, IoSpec, LoadSpec, Runtime, RuntimeSession, TensorData } from './types.js';

/** What the session thread is started with. */
export interface SessionThreadSetup {
  spec: LoadSpec;
}

export type SessionThreadRequest =
  | { type: 'run'; id: number; feeds: Record<string, TensorData>; fetches?: string[] }
  | { type: 'release' };

export type SessionThreadReply =
  | { type: 'ready'; inputs: IoSpec[]; outputs: IoSpec[]; metadata: Record<string, string>; provider: ExecutionProvider; fallbackReason?: string }
  | { type: 'load-failed'; message: string }
  | { type: 'outputs'; id: number; outputs: Record<string, TensorData> }
  | { type: 'run-failed'; id: number; message: string }
  | { type: 'released' };

type Ready = Extract<SessionThreadReply, { type: 'ready' }>;

/**
 * An onnxruntime session on a thread of its own. onnxruntime-node's `run` computes on the calling
 * thread (its promise only defers the call: microsoft/onnxruntime#19611), so in-process a model
 * worker can do nothing else while a run computes: it cannot even read the next request, let
 * alone decode it. On its own thread the session computes while the worker's main thread
 * receives and decodes the next request. Each run costs a thread hop (~0.7–1.4 ms measured here
 * for yolov8n, input copied, outputs transferred), so workers use it only where overlapping pays.
 */
class ThreadedSession implements RuntimeSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (outputs: Record<string, TensorData>) => void; reject: (error: Error) => void }>();

  constructor(private readonly thread: Worker, private readonly ready: Ready) {
    thread.on('message', (reply: SessionThreadReply) => {
      if (reply.type !== 'outputs' && reply.type !== 'run-failed') return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === 'outputs') waiter?.resolve(reply.outputs);
      else waiter?.reject(new Error(reply.message));
    });
    const fail = (error: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the session thread exited (code ${code})`)));
  }

  get provider(): ExecutionProvider {
    return this.ready.provider;
  }

  get fallbackReason(): string | undefined {
    return this.ready.fallbackReason;
  }

  get inputs(): readonly IoSpec[] {
    return this.ready.inputs;
  }

  get outputs(): readonly IoSpec[] {
    return this.ready.outputs;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.ready.metadata;
  }

  run(feeds: Record<string, TensorData>, fetches?: readonly string[]): Promise<Record<string, TensorData>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Feeds are copied, not transferred: pipelines reuse their input buffers from run to run.
      this.thread.postMessage({ type: 'run', id, feeds, fetches: fetches && [...fetches] } satisfies SessionThreadRequest);
    });
  }

  async release(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.thread.once('message', () => resolve());
      this.thread.once('exit', () => resolve());
      this.thread.postMessage({ type: 'release' } satisfies SessionThreadRequest);
    });
    await this.thread.terminate();
  }
}

/** onnxruntime-node with each session on its own thread (see {@link ThreadedSession}). */
export const threadedOnnxRuntime: Runtime = {
  name: 'onnx',
  async load(spec: LoadSpec): Promise<RuntimeSession> {
    // The model's bytes move to the thread rather than being copied (they may be hundreds of MB).
    const bytes = spec.bytes;
    const movable = bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const entry = threadModule('runtimes/onnx-thread-entry');
    const thread = new Worker(entry.script, {
      eval: entry.eval,
      workerData: { spec } satisfies SessionThreadSetup,
      transferList: movable ? [bytes.buffer as ArrayBuffer] : [],
    });
    let onMessage: (reply: SessionThreadReply) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const ready = await new Promise<Ready>((resolve, reject) => {
      onMessage = (reply) => {
        if (reply.type === 'ready') resolve(reply);
        else if (reply.type === 'load-failed') reject(new Error(reply.message));
      };
      onError = reject;
      onExit = (code) => reject(new Error(`the session thread exited while loading (code ${code})`));
      thread.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).catch(async (error: unknown) => {
      await thread.terminate();
      throw error;
    }).finally(() => {
      // Only this function's listeners: removing all would also stop the worker's message port.
      thread.off('message', onMessage).off('error', onError).off('exit', onExit);
    });
    return new ThreadedSession(thread, ready);
  },
};
