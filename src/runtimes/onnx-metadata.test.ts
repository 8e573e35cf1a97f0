import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COCO80 } from '../vision/coco.js';
import { parseClassNames, readOnnxMetadata } from './onnx-metadata.js';

const MODELS_DIR = process.env.ARGUS_MODELS_DIR ?? '../shared/models';
const yolov8n = readFileSync(join(MODELS_DIR, 'detect/yolov8n_int8.onnx'));

// Minimal protobuf writer for hand-made ModelProtos.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const bytesField = (field: number, payload: number[] | string) => {
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : payload;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
};
const entry = (key: string, value: string) => bytesField(14, [...bytesField(1, key), ...bytesField(2, value)]);

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

describe('readOnnxMetadata', () => {
  it('reads the Ultralytics metadata of yolov8n_int8.onnx', () => {
    const meta = readOnnxMetadata(yolov8n);
    expect(Object.keys(meta)).toContain('names');
    expect(meta.task).toBe('detect');
    expect(meta.stride).toBe('32');
    expect(meta.imgsz).toBe('[640, 640]');
    expect(meta.author).toBe('Ultralytics');
    expect(meta.names.startsWith("{0: 'person', 1: 'bicycle', ")).toBe(true);
    expect(meta.names.endsWith("79: 'toothbrush'}")).toBe(true);
  });

  it('returns {} for a model without metadata', () => {
    expect(readOnnxMetadata(readFileSync(join(MODELS_DIR, 'classify/squeezenet1.0_fp16.onnx')))).toEqual({});
  });

  it('reads entries from a hand-made ModelProto, skipping every other wire type', () => {
    const model = Uint8Array.from([
      ...tag(1, 0), ...varint(8), // ir_version (varint)
      ...bytesField(2, 'pytorch'), // producer_name
      ...tag(3, 1), 1, 2, 3, 4, 5, 6, 7, 8, // a fixed64
      ...tag(4, 5), 9, 9, 9, 9, // a fixed32
      ...entry('names', "{0: 'a', 1: 'b'}"),
      ...bytesField(7, [...tag(1, 0), ...varint(300), ...bytesField(14, 'not metadata: nested')]), // graph
      ...entry('stride', '32'),
      ...entry('unicode', 'größe ✓'),
      ...entry('', 'no key: dropped'),
      ...entry('empty', ''),
    ]);
    expect(readOnnxMetadata(model)).toEqual({ names: "{0: 'a', 1: 'b'}", stride: '32', unicode: 'größe ✓', empty: '' });
  });

  it('handles multi-byte varints and long values', () => {
    const long = 'x'.repeat(1000);
    const model = Uint8Array.from([...tag(1, 0), ...varint(2 ** 40), ...entry('long', long)]);
    expect(readOnnxMetadata(model)).toEqual({ long });
  });

  it('keeps entries read before the file turns out to be truncated', () => {
    const whole = Uint8Array.from([...entry('a', '1'), ...entry('b', '2')]);
    expect(readOnnxMetadata(whole.subarray(0, whole.length - 1))).toEqual({ a: '1' });
    expect(readOnnxMetadata(yolov8n.subarray(0, 1000))).toEqual({});
  });

  it('returns {} for random bytes without throwing', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      expect(readOnnxMetadata(randomBytes(4096, seed))).toEqual({});
    }
    expect(readOnnxMetadata(new Uint8Array(0))).toEqual({});
    expect(readOnnxMetadata(Buffer.from('not a model at all'))).toEqual({});
    expect(readOnnxMetadata(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toEqual({});
  });
});

describe('parseClassNames', () => {
  it('parses the 80 COCO names of yolov8n_int8.onnx', () => {
    const names = parseClassNames(readOnnxMetadata(yolov8n).names);
    expect(names).toHaveLength(80);
    expect(names![0]).toBe('person');
    expect(names![5]).toBe('bus');
    expect(names![9]).toBe('traffic light');
    expect(names![79]).toBe('toothbrush');
    expect(names).toEqual([...COCO80]);
  });

  it('accepts double quotes and escaped quotes', () => {
    expect(parseClassNames(`{0: "person", 1: 'dog'}`)).toEqual(['person', 'dog']);
    expect(parseClassNames(String.raw`{0: 'it\'s', 1: "say \"hi\"", 2: 'back\\slash'}`)).toEqual([
      "it's",
      'say "hi"',
      'back\\slash',
    ]);
    expect(parseClassNames(`{0: "it's", 1: 'a "b"'}`)).toEqual(["it's", 'a "b"']);
  });

  it('places names by their key, not their order, and tolerates spacing', () => {
    expect(parseClassNames("{1:'b',0 :  'a', 2:\n'c'}")).toEqual(['a', 'b', 'c']);
  });

  it('returns undefined for a dict with gaps', () => {
    expect(parseClassNames("{0: 'a', 2: 'c'}")).toBeUndefined();
    expect(parseClassNames("{1: 'b'}")).toBeUndefined();
  });

  it('returns undefined for garbage and empty input', () => {
    expect(parseClassNames(undefined)).toBeUndefined();
    expect(parseClassNames('')).toBeUndefined();
    expect(parseClassNames('{}')).toBeUndefined();
    expect(parseClassNames('person, bicycle, car')).toBeUndefined();
    expect(parseClassNames("['person', 'bicycle']")).toBeUndefined();
    expect(parseClassNames('\u0000\u0001garbage{:}')).toBeUndefined();
  });
});
