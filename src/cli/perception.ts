import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createArgus } from '../app/argus.js';
import type { TaskResult } from '../service/inference.js';
import type { FacesOutput } from '../tasks/params/faces.js';
import type { OcrOutput } from '../tasks/params/ocr.js';
import type { PoseOutput } from '../tasks/params/pose.js';
import type { SegmentOutput } from '../tasks/params/segment.js';
import { configFrom } from './options.js';

interface Common {
  model?: string;
  json?: boolean;
}

/**
 * Runs one image task locally (one-shot: no server, no data-dir lock) and prints JSON or `summary`.
 * `save`, when given, writes what the options ask for (a mask file) before anything is printed.
 */
function imageTaskCommand<O extends Common>(
  task: string,
  description: string,
  configure: (command: Command) => Command,
  params: (options: O) => Record<string, unknown>,
  summary: (result: TaskResult, image: string) => string[],
  save?: (result: TaskResult, options: O) => Promise<void>,
): Command {
  const command = new Command(task)
    .description(`${description} (runs locally; no server needed)`)
    .argument('<image>', 'image file (JPEG, PNG, WebP, GIF, TIFF)')
    .option('-m, --model <alias>', `model alias (default: the default ${task} model)`)
    .option('--json', 'print the result as JSON');
  return configure(command).action(async (image: string, options: O, self: Command) => {
    const config = configFrom(self, { logLevel: self.optsWithGlobals().logLevel ?? 'warn' });
    const bytes = await readFile(image);
    const argus = await createArgus(config, { mode: 'oneshot' });
    try {
      const result = await argus.service.run({ task, model: options.model, params: params(options), image: { bytes, filename: image } });
      await save?.(result, options);
      const lines = options.json ? [JSON.stringify(result, null, 2)] : summary(result, image);
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await argus.close();
    }
  });
}

const header = (result: TaskResult, image: string, what: string) => `${image}: ${what} (model ${result.model.alias}, ${result.timings.total_ms.toFixed(0)} ms)`;
const corners = (b: { x1: number; y1: number; x2: number; y2: number }) => `[${[b.x1, b.y1, b.x2, b.y2].map(Math.round).join(', ')}]`;

/** `argus ocr IMAGE`: the text, then each line with its confidence and box. */
export function ocrCommand(): Command {
  return imageTaskCommand<Common & { minSide?: string }>('ocr', 'read the text in an image file',
    (c) => c.option('--min-side <px>', 'enlarge small images to this shorter side first (helps low-resolution photos)'),
    (o) => (o.minSide !== undefined ? { min_side: Number(o.minSide) } : {}),
    (result, image) => {
      const { lines } = result as unknown as OcrOutput;
      return [header(result, image, `${lines.length} lines`), ...lines.map((l) => `  ${l.confidence.toFixed(2)}  ${corners(l.box)}  ${l.text}`)];
    });
}

/** `argus faces IMAGE [--attributes]`: each face's box and score, and its attributes when asked. */
export function facesCommand(): Command {
  return imageTaskCommand<Common & { attributes?: boolean }>('faces', 'find the faces in an image file',
    (c) => c.option('--attributes', 'also estimate age, gender and emotion (about 0.2 s per face)'),
    (o) => ({ attributes: o.attributes === true }),
    (result, image) => {
      const { faces } = result as unknown as FacesOutput;
      return [header(result, image, `${faces.length} faces`), ...faces.map((f) => {
        const about = f.age !== undefined ? `  age ${f.age.toFixed(0)}, ${f.gender}, ${f.emotion}` : '';
        return `  ${f.confidence.toFixed(2)}  ${corners(f.box)}${about}`;
      })];
    });
}

/** `argus pose IMAGE`: each person's box, score and visible keypoints. */
export function poseCommand(): Command {
  return imageTaskCommand<Common>('pose', 'estimate the body pose of each person in an image file', (c) => c, () => ({}),
    (result, image) => {
      const { people } = result as unknown as PoseOutput;
      return [header(result, image, `${people.length} people`), ...people.map((p) => {
        const seen = p.keypoints.filter((k) => k.score >= 0.3).length;
        return `  ${p.score.toFixed(2)}  ${p.box ? corners(p.box) : '(no box)'}  ${seen}/17 keypoints ≥ 0.3`;
      })];
    });
}

/** `argus segment IMAGE [--out mask.png]`: the mask's box and coverage; the mask itself with --out. */
export function segmentCommand(): Command {
  return imageTaskCommand<Common & { threshold?: string; out?: string }>('segment', 'segment the people in an image file',
    (c) => c
      .option('--threshold <p>', 'person probability from which a pixel is in the mask (default 0.5)')
      .option('-o, --out <file>', 'write the mask there as a PNG (255 person, 0 background)'),
    (o) => (o.threshold !== undefined ? { threshold: Number(o.threshold) } : {}),
    (result, image) => {
      const { box, coverage } = result as unknown as SegmentOutput;
      const where = box ? `box ${corners(box)}` : 'nobody found';
      return [`${header(result, image, `${(coverage * 100).toFixed(1)}% person`)}`, `  ${where}`];
    },
    async (result, o) => {
      if (o.out) await writeFile(o.out, Buffer.from((result as unknown as SegmentOutput).mask, 'base64'));
    });
}
