import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmPackageDir } from '../models/npm.js';
import { onnxRuntime } from '../runtimes/onnx.js';
import { tfjsRuntime } from '../runtimes/tfjs.js';
import type { RuntimeSession } from '../runtimes/types.js';
import { COCO80 } from '../vision/coco.js';
import { createDetectPipeline, recogniseHead } from './detect.js';
import type { DetectParams } from './params/detect.js';
import { runPipeline } from './pipeline.js';
import type { InputSpec } from './types.js';

const MODELS_DIR = process.env.ARGUS_MODELS_DIR ?? '../shared/models';
const IMAGES_DIR = join(MODELS_DIR, '..', 'images');
const CENTERNET = join(npmPackageDir('@vladmandic/human', createRequire(import.meta.url)), 'models/centernet.json');
const YOLOV8N = join(MODELS_DIR, 'detect/yolov8n_int8.onnx');

const CENTERNET_INPUT: InputSpec = { width: 512, height: 512, resize: 'stretch', pad: 114, colour: 'rgb', scale: 1, dtype: 'float32', layout: 'nhwc' };
const YOLO_INPUT: InputSpec = { width: 640, height: 640, resize: 'letterbox', pad: 114, colour: 'rgb', scale: 1 / 255, dtype: 'float32', layout: 'nchw' };
const params = (p: Partial<DetectParams> = {}): DetectParams => ({ conf: 0.25, iou: 0.45, max_det: 300, ...p });

describe('recogniseHead', () => {
  it('recognises a CenterNet by its …detections [1, K, 6] output, among others', () => {
    expect(recogniseHead([
      { name: 'tower_0/wh', type: 'float32', shape: [1, 128, 128, 4] },
      { name: 'tower_0/detections', type: 'float32', shape: [1, 100, 6] },
    ])).toBe('centernet');
  });

  it('takes a single rank-3 output as a YOLO head, static or dynamic', () => {
    expect(recogniseHead([{ name: 'output0', type: 'float32', shape: [1, 84, 8400] }])).toBe('yolo');
    expect(recogniseHead([{ name: 'output0', type: 'float32', shape: ['batch', 84, 'anchors'] }])).toBe('yolo');
  });

  it('recognises nothing else', () => {
    expect(recogniseHead([{ name: 'scores', type: 'float32', shape: [1, 4420, 2] }, { name: 'boxes', type: 'float32', shape: [1, 4420, 4] }])).toBeUndefined();
    expect(recogniseHead([{ name: 'logits', type: 'float32', shape: [1, 1000] }])).toBeUndefined();
    expect(recogniseHead([{ name: 'detections', type: 'float32', shape: [1, 100, 7] }, { name: 'x', type: 'float32', shape: [1] }])).toBeUndefined();
  });
});

describe('the detect pipeline on real models, without workers', () => {
  let centernet: RuntimeSession;
  let yolo: RuntimeSession;

  beforeAll(async () => {
    centernet = await tfjsRuntime.load({ file: CENTERNET, bytes: readFileSync(CENTERNET), threads: 1, provider: 'cpu' });
    yolo = await onnxRuntime.load({ file: YOLOV8N, bytes: readFileSync(YOLOV8N), threads: 1, provider: 'cpu' });
  });

  afterAll(async () => {
    await centernet?.release();
    await yolo?.release();
  });

  const context = (session: RuntimeSession, input: InputSpec, format?: 'yolo' | 'centernet') => ({
    alias: 'test', session, input, labels: COCO80, maxPixels: 40_000_000, ...(format && { output: { format } }),
  });

  it('runs CenterNet with stretched NHWC input, reading only its detections output', async () => {
    const pipeline = createDetectPipeline(context(centernet, CENTERNET_INPUT));
    expect(pipeline.outputs).toEqual(['tower_0/detections']);
    const { output } = await runPipeline(pipeline, centernet, { image: readFileSync(join(IMAGES_DIR, 'misc/motorcycle_left.png')) }, params());
    expect([output.width, output.height]).toEqual([741, 500]);
    expect(output.detections[0]).toMatchObject({ label: 'motorcycle', class_id: 3 });
  });

  it('gives the same answer whether the manifest names the format or the head is recognised', async () => {
    const bytes = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
    const declared = await runPipeline(createDetectPipeline(context(centernet, CENTERNET_INPUT, 'centernet')), centernet, { image: bytes }, params());
    const recognised = await runPipeline(createDetectPipeline(context(centernet, CENTERNET_INPUT)), centernet, { image: bytes }, params());
    expect(declared.output).toEqual(recognised.output);
    expect(declared.output.detections.filter((d) => d.label === 'person').length).toBeGreaterThanOrEqual(3);
  });

  it('still runs YOLO with letterboxed NCHW input', async () => {
    const pipeline = createDetectPipeline(context(yolo, YOLO_INPUT, 'yolo'));
    expect(pipeline.outputs).toEqual(['output0']);
    const { output } = await runPipeline(pipeline, yolo, { image: readFileSync(join(IMAGES_DIR, 'bus.jpg')) }, params({ conf: 0.5 }));
    expect(output.detections.map((d) => d.label).sort()).toEqual(['bus', 'person', 'person', 'person']);
  });

  it('refuses at load a declared format the model does not have, and input it cannot prepare', () => {
    expect(() => createDetectPipeline(context(yolo, YOLO_INPUT, 'centernet'))).toThrow('declared CenterNet but has no detections [1, K, 6] output');
    expect(() => createDetectPipeline(context(centernet, { ...CENTERNET_INPUT, resize: 'shorter-crop' }))).toThrow('letterbox and stretch');
    expect(() => createDetectPipeline(context(centernet, { ...CENTERNET_INPUT, dtype: 'float16' }))).toThrow('float32');
  });
});
