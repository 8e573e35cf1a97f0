/**
 * Detection accuracy on COCO (`npm run eval:coco`): mAP50 and mAP50-95 (101-point, IoU
 * .50:.05:.95, see eval/map.ts) of each detector on the coco128 val2017 images, computed through
 * the real Argus service (`createArgus` in one-shot mode, `service.run`: worker processes, the
 * model's own preprocessing and decoder) with conf 0.001, max_det 300 and NMS IoU 0.7, as
 * Ultralytics validates. A second pass times each model at the API defaults, one request at a
 * time. Prints a table and writes bench-results/coco-eval.json.
 *
 * Arguments: `--models centernet,yolov8n` (default), `--limit N` (first N images), `--iou X`.
 * Environment: ARGUS_MODELS_DIR (default ../shared/models); COCO128_DIR (default
 * ../shared/datasets/coco128); EVAL_TIMING_IMAGES (images in the timing pass, default 32).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createArgus, type Argus } from '../src/app/argus.js';
import { loadConfig } from '../src/config/load.js';
import type { DetectOutput } from '../src/tasks/params/detect.js';
import { COCO80 } from '../src/vision/coco.js';
import { machineFacts } from './bench/machine.js';
import { fmt, textTable, writeJson } from './bench/report.js';
import { summarize, type Summary } from './bench/stats.js';
import { meanAveragePrecision, yoloLabelToBox, type EvalBox, type EvalDetection, type EvalImage } from './eval/map.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVAL_PARAMS = { conf: 0.001, max_det: 300 };

interface ModelEval {
  alias: string;
  sha256?: string;
  images: number;
  map50: number;
  map50_95: number;
  /** Detections whose label is not a COCO-80 name (left out of the score). */
  unknownLabels: number;
  /** Per-request stage timings (ms) at the API defaults, one request at a time, after a warm-up. */
  timing: { images: number; inference_ms: Summary; total_ms: Summary };
  /** Seconds the accuracy pass took. */
  eval_s: number;
}

function progress(message: string): void {
  process.stderr.write(`eval: ${message}\n`);
}

function readTruth(labelsDir: string, image: string, width: number, height: number): EvalBox[] {
  const file = join(labelsDir, `${basename(image, '.jpg')}.txt`);
  if (!existsSync(file)) return []; // COCO images with no objects have no label file.
  return readFileSync(file, 'utf8').split('\n').flatMap((line) => yoloLabelToBox(line, width, height) ?? []);
}

const COCO_INDEX = new Map(COCO80.map((name, i) => [name, i]));

async function detect(argus: Argus, model: string, bytes: Uint8Array, params: object) {
  const result = await argus.service.run({ task: 'detect', model, params, image: { bytes } });
  return result as unknown as DetectOutput & typeof result;
}

async function evaluate(argus: Argus, model: string, images: string[], imagesDir: string, labelsDir: string, iou: number, timingImages: number): Promise<ModelEval> {
  const started = performance.now();
  const evalImages: EvalImage[] = [];
  let unknownLabels = 0;
  let sha256: string | undefined;
  for (const [n, name] of images.entries()) {
    const result = await detect(argus, model, readFileSync(join(imagesDir, name)), { ...EVAL_PARAMS, iou });
    sha256 = result.model.sha256;
    // Classes are compared by name, so a model's own class order cannot skew the score.
    const detections: EvalDetection[] = result.detections.flatMap((d) => {
      const classId = COCO_INDEX.get(d.label);
      if (classId === undefined) {
        unknownLabels++;
        return [];
      }
      return [{ classId, score: d.confidence, ...d.box }];
    });
    evalImages.push({ truth: readTruth(labelsDir, name, result.width, result.height), detections });
    if ((n + 1) % 32 === 0) progress(`${model}: ${n + 1}/${images.length} images`);
  }
  const evalS = (performance.now() - started) / 1000;
  const map = meanAveragePrecision(evalImages);

  // Timing at the API defaults, sequential, after one warm-up request.
  const timed = images.slice(0, timingImages);
  await detect(argus, model, readFileSync(join(imagesDir, timed[0])), {});
  const inference: number[] = [];
  const total: number[] = [];
  for (const name of timed) {
    const result = await detect(argus, model, readFileSync(join(imagesDir, name)), {});
    inference.push(result.timings.inference_ms);
    total.push(result.timings.total_ms);
  }
  return {
    alias: model,
    sha256,
    images: images.length,
    map50: map.map50,
    map50_95: map.map50_95,
    unknownLabels,
    timing: { images: timed.length, inference_ms: summarize(inference), total_ms: summarize(total) },
    eval_s: Math.round(evalS * 10) / 10,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { models: { type: 'string', default: 'centernet,yolov8n' }, limit: { type: 'string' }, iou: { type: 'string', default: '0.7' } },
  });
  const models = values.models.split(',').map((m) => m.trim()).filter(Boolean);
  const iou = Number(values.iou);
  if (!(iou > 0 && iou <= 1)) throw new Error(`--iou must be in (0, 1], not '${values.iou}'`);
  const cocoDir = resolve(REPO_ROOT, process.env.COCO128_DIR || '../shared/datasets/coco128');
  const imagesDir = join(cocoDir, 'images/val2017');
  const labelsDir = join(cocoDir, 'object_detection/labels/val2017');
  if (!existsSync(imagesDir)) throw new Error(`no images at ${imagesDir}; set COCO128_DIR to the coco128 folder`);
  let images = readdirSync(imagesDir).filter((f) => f.endsWith('.jpg')).sort();
  if (values.limit) images = images.slice(0, Number(values.limit));
  const timingImages = Math.min(images.length, Number(process.env.EVAL_TIMING_IMAGES || 32));

  const modelsDir = resolve(REPO_ROOT, process.env.ARGUS_MODELS_DIR || '../shared/models');
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-eval-'));
  const config = loadConfig({ env: {}, overrides: { modelsDir, dataDir, logLevel: 'warn' } });
  const argus = await createArgus(config, { mode: 'oneshot' });
  const results: ModelEval[] = [];
  try {
    for (const model of models) {
      progress(`${model}: ${images.length} images from ${imagesDir}`);
      results.push(await evaluate(argus, model, images, imagesDir, labelsDir, iou, timingImages));
    }
  } finally {
    await argus.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const table = {
    headers: ['model', 'images', 'mAP50', 'mAP50-95', 'inference p50 ms', 'end-to-end p50 ms'],
    rows: results.map((r) => [r.alias, r.images, fmt(r.map50, 3), fmt(r.map50_95, 3), fmt(r.timing.inference_ms.p50), fmt(r.timing.total_ms.p50)]),
  };
  process.stdout.write(`${textTable(table)}\n`);
  for (const r of results) if (r.unknownLabels) process.stdout.write(`${r.alias}: ${r.unknownLabels} detections with non-COCO labels were left out\n`);
  const out = join(REPO_ROOT, 'bench-results/coco-eval.json');
  writeJson(out, {
    dataset: { path: cocoDir, split: 'val2017', images: images.length },
    params: { ...EVAL_PARAMS, iou, ap: '101-point interpolation, IoU 0.50:0.05:0.95, classes with ground truth' },
    machine: machineFacts(REPO_ROOT),
    models: results,
  });
  progress(`wrote ${out}`);
}

await main();
