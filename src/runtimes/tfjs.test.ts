import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmPackageDir } from '../models/npm.js';
import { tfjsRuntime } from './tfjs.js';
import type { LoadSpec, RuntimeSession } from './types.js';

const CENTERNET = join(npmPackageDir('@vladmandic/human', createRequire(import.meta.url)), 'models/centernet.json');

function spec(file: string, extra: Partial<LoadSpec> = {}): LoadSpec {
  return { file, bytes: readFileSync(file), threads: 1, provider: 'cpu', ...extra };
}

describe('tfjs runtime with the CenterNet graph model from @vladmandic/human', () => {
  let session: RuntimeSession;
  let tensorsBeforeLoad: number;

  beforeAll(async () => {
    // The backend starts on the first load; count tensors once it exists.
    await tfjsRuntime.load(spec(CENTERNET)).then((s) => s.release());
    tensorsBeforeLoad = tf.memory().numTensors;
    session = await tfjsRuntime.load(spec(CENTERNET));
  });

  it('runs on the wasm backend and says so', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(session.provider).toBe('wasm');
    expect(session.fallbackReason).toBeUndefined();
    expect(session.metadata.format).toBe('graph-model');
  });

  it('declares the inputs and outputs of the model signature, with shapes', () => {
    expect(session.inputs).toEqual([{ name: 'tower_0/images', type: 'float32', shape: [1, 512, 512, 3] }]);
    expect(session.outputs).toContainEqual({ name: 'tower_0/detections', type: 'float32', shape: [1, 100, 6] });
    expect(session.outputs.map((o) => o.name).sort()).toEqual(['tower_0/detections', 'tower_0/keypoints', 'tower_0/wh']);
  });

  it('returns only the outputs asked for, or all of them', async () => {
    const image = { type: 'float32' as const, data: new Float32Array(512 * 512 * 3).fill(114), dims: [1, 512, 512, 3] };
    const one = await session.run({ 'tower_0/images': image }, ['tower_0/detections']);
    expect(Object.keys(one)).toEqual(['tower_0/detections']);
    expect(one['tower_0/detections']).toMatchObject({ type: 'float32', dims: [1, 100, 6] });
    expect(one['tower_0/detections'].data).toHaveLength(600);
    const all = await session.run({ 'tower_0/images': image });
    expect(Object.keys(all).sort()).toEqual(['tower_0/detections', 'tower_0/keypoints', 'tower_0/wh']);
    expect(all['tower_0/keypoints'].dims).toEqual([1, 128, 128, 80]);
  });

  it('frees every tensor it makes: the count stays flat over many runs, including failed ones', async () => {
    const image = { type: 'float32' as const, data: new Float32Array(512 * 512 * 3), dims: [1, 512, 512, 3] };
    await session.run({ 'tower_0/images': image }, ['tower_0/detections']);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 15; i++) {
      image.data.fill(i * 17);
      await session.run({ 'tower_0/images': image }, i % 3 === 0 ? undefined : ['tower_0/detections']);
    }
    await expect(session.run({ 'tower_0/images': image }, ['no/such/output'])).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
  });

  afterAll(async () => {
    await session?.release();
    // Releasing frees the weights too.
    expect(tf.memory().numTensors).toBe(tensorsBeforeLoad);
  });
});

describe('tfjs runtime with a hand-written graph model', () => {
  // y = float(x) + 0.5 and same = x, with the 0.5 in a weight shard beside model.json.
  const dir = join(tmpdir(), `argus-tfjs-${process.pid}`);
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown>) => ({ name, op, input, attr });
  const modelJson = (weightPath: string) => ({
    format: 'graph-model',
    generatedBy: 'argus test',
    convertedBy: 'hand',
    userDefinedMetadata: { purpose: 'test', classes: ['a', 'b'] },
    modelTopology: {
      node: [
        node('x', 'Placeholder', [], { dtype: { type: 'DT_INT32' }, shape: { shape: { dim: [{ size: '-1' }] } } }),
        node('c', 'Const', [], { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } } }),
        node('xf', 'Cast', ['x'], { SrcT: { type: 'DT_INT32' }, DstT: { type: 'DT_FLOAT' } }),
        node('y', 'AddV2', ['xf', 'c'], { T: { type: 'DT_FLOAT' } }),
        node('same', 'Identity', ['x'], { T: { type: 'DT_INT32' } }),
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: [weightPath], weights: [{ name: 'c', shape: [], dtype: 'float32' }] }],
  });

  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'w.bin'), Buffer.from(Float32Array.of(0.5).buffer));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson('w.bin')));
    writeFileSync(join(dir, 'escape.json'), JSON.stringify(modelJson('../../etc/passwd')));
    writeFileSync(join(dir, 'layers.json'), JSON.stringify({ ...modelJson('w.bin'), format: 'layers-model' }));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads weight shards beside model.json and maps tensor types both ways', async () => {
    const session = await tfjsRuntime.load(spec(join(dir, 'model.json')));
    try {
      expect(session.metadata).toMatchObject({ generatedBy: 'argus test', purpose: 'test', classes: '["a","b"]' });
      expect(session.inputs).toEqual([{ name: 'x', type: 'int32', shape: [-1] }]);
      const fromInt32 = await session.run({ x: { type: 'int32', data: Int32Array.of(1, -2, 3), dims: [3] } });
      expect(fromInt32.y).toEqual({ type: 'float32', data: Float32Array.of(1.5, -1.5, 3.5), dims: [3] });
      expect(fromInt32.same).toEqual({ type: 'int32', data: Int32Array.of(1, -2, 3), dims: [3] });
      // uint8 and in-range int64 have no tfjs dtype: they are widened or narrowed to int32 exactly.
      const fromUint8 = await session.run({ x: { type: 'uint8', data: Uint8Array.of(0, 255), dims: [2] } }, ['same']);
      expect(fromUint8.same.data).toEqual(Int32Array.of(0, 255));
      const fromInt64 = await session.run({ x: { type: 'int64', data: BigInt64Array.of(7n, -7n), dims: [2] } }, ['y']);
      expect(fromInt64.y.data).toEqual(Float32Array.of(7.5, -6.5));
    } finally {
      await session.release();
    }
  });

  it('refuses what tfjs cannot represent instead of converting it silently', async () => {
    const session = await tfjsRuntime.load(spec(join(dir, 'model.json')));
    try {
      await expect(session.run({ x: { type: 'int64', data: BigInt64Array.of(2n ** 40n), dims: [1] } })).rejects.toThrow('does not fit');
      await expect(session.run({ x: { type: 'float16', data: new Uint16Array(1), dims: [1] } })).rejects.toThrow('no float16');
    } finally {
      await session.release();
    }
  });

  it('refuses weight paths outside the model folder, layers models, and a required cuda', async () => {
    await expect(tfjsRuntime.load(spec(join(dir, 'escape.json')))).rejects.toThrow('leaves the model folder');
    await expect(tfjsRuntime.load(spec(join(dir, 'layers.json')))).rejects.toThrow('only graph models');
    await expect(tfjsRuntime.load(spec(join(dir, 'model.json'), { provider: 'cuda', requireProvider: true }))).rejects.toThrow('cuda execution provider unavailable');
  });

  it('says when it cannot have what was asked for: cuda, or more than one thread', async () => {
    const session = await tfjsRuntime.load(spec(join(dir, 'model.json'), { provider: 'cuda', threads: 2 }));
    try {
      expect(session.provider).toBe('wasm');
      expect(session.fallbackReason).toContain('cuda execution provider unavailable');
      expect(session.fallbackReason).toContain('2 were requested');
    } finally {
      await session.release();
    }
  });
});
