import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../../test/helpers.js';
import { onnxRuntime } from './onnx.js';
import { threadedOnnxRuntime } from './onnx-thread.js';
import type { RuntimeSession, TensorData } from './types.js';

const file = join(MODELS_DIR, 'detect/yolov8n_int8.onnx');
const spec = { file, threads: 1, provider: 'cpu' as const };

/** A deterministic non-trivial input: a gradient, so the outputs are not all the same. */
function feeds(): Record<string, TensorData> {
  const data = new Float32Array(3 * 640 * 640);
  for (let i = 0; i < data.length; i++) data[i] = (i % 640) / 640;
  return { images: { type: 'float32', data, dims: [1, 3, 640, 640] } };
}

describe('threadedOnnxRuntime', () => {
  const sessions: RuntimeSession[] = [];
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
  });

  it('answers as the in-process session does, and leaves the calling thread free while it runs', async () => {
    const threaded = await threadedOnnxRuntime.load({ ...spec, bytes: readFileSync(file) });
    const inProcess = await onnxRuntime.load({ ...spec, bytes: readFileSync(file) });
    sessions.push(threaded, inProcess);
    expect(threaded.inputs).toEqual(inProcess.inputs);
    expect(threaded.outputs).toEqual(inProcess.outputs);
    expect(threaded.metadata).toEqual(inProcess.metadata);
    expect(threaded.provider).toBe('cpu');

    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const a = await threaded.run(feeds(), ['output0']);
    clearInterval(timer);
    // In-process, a ~60 ms run holds this thread: the 1 ms timer would tick about once.
    expect(ticks).toBeGreaterThan(10);
    const b = await inProcess.run(feeds(), ['output0']);
    expect(a.output0.dims).toEqual(b.output0.dims);
    expect(Array.from(a.output0.data as Float32Array)).toEqual(Array.from(b.output0.data as Float32Array));
  });

  it('fails a bad model file with the runtime\'s reason, and a bad feed on its own run', async () => {
    await expect(threadedOnnxRuntime.load({ ...spec, file: 'garbage.onnx', bytes: Buffer.from('not a model at all') })).rejects.toThrow(/protobuf|parse|load|model/i);
    const session = await threadedOnnxRuntime.load({ ...spec, bytes: readFileSync(file) });
    sessions.push(session);
    await expect(session.run({ images: { type: 'float32', data: new Float32Array(3), dims: [1, 3, 1, 1] } })).rejects.toThrow();
    // The session still serves after a failed run.
    expect((await session.run(feeds(), ['output0'])).output0.dims).toEqual([1, 84, 8400]);
  });

  it('starts its thread from the TypeScript sources under tsx (npm run dev), where threads get no --import', () => {
    const script = `
      import { threadedOnnxRuntime } from ${JSON.stringify(join(REPO_ROOT, 'src/runtimes/onnx-thread.ts'))};
      const s = await threadedOnnxRuntime.load({ file: ${JSON.stringify(file)}, threads: 1, provider: 'cpu' });
      console.log(JSON.stringify(s.inputs.map((i) => i.name)));
      await s.release();`;
    const env = { ...process.env };
    delete env.ARGUS_BUILD_DIR; // so the thread is started from the .ts source
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual(['images']);
  });
});
