import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createArgus } from '../app/argus.js';
import type { DetectOutput } from '../tasks/params/detect.js';
import { drawBoxes } from '../vision/draw.js';
import { configFrom, parseNumber } from './options.js';

export function detectCommand(): Command {
  return new Command('detect')
    .description('detect objects in an image file (runs locally; no server needed)')
    .argument('<image>', 'image file (JPEG, PNG, WebP, GIF, TIFF)')
    .option('-m, --model <alias>', 'model alias (default: the default detector)')
    .option('--conf <value>', 'minimum confidence, 0–1', parseNumber)
    .option('--iou <value>', 'NMS IoU threshold, 0–1', parseNumber)
    .option('--classes <list>', 'only these classes, comma-separated')
    .option('--json', 'print the result as JSON')
    .option('-o, --out <file>', 'write the image with boxes and labels drawn (JPEG or PNG by extension)')
    .action(async (image: string, options: { model?: string; conf?: number; iou?: number; classes?: string; json?: boolean; out?: string }, command: Command) => {
      const config = configFrom(command, { logLevel: command.optsWithGlobals().logLevel ?? 'warn' });
      const bytes = await readFile(image);
      const argus = await createArgus(config, { mode: 'oneshot' });
      try {
        const params = {
          ...(options.conf !== undefined && { conf: options.conf }),
          ...(options.iou !== undefined && { iou: options.iou }),
          ...(options.classes && { classes: options.classes.split(',').map((c) => c.trim()).filter(Boolean) }),
        };
        const result = await argus.service.run({ task: 'detect', model: options.model, params, image: { bytes, filename: image } });
        const output = result as unknown as DetectOutput & typeof result;
        if (options.out) {
          const drawn = await drawBoxes(bytes, output.detections.map((d) => ({ label: d.label, confidence: d.confidence, box: d.box, classId: d.class_id })), options.out.toLowerCase().endsWith('.png') ? 'png' : 'jpeg');
          await writeFile(options.out, drawn);
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          process.stdout.write(`${image}: ${output.width}×${output.height}, ${output.detections.length} objects (model ${result.model.alias}, ${result.timings.total_ms.toFixed(0)} ms)\n`);
          for (const d of output.detections) {
            const b = d.box;
            process.stdout.write(`  ${d.label.padEnd(16)} ${d.confidence.toFixed(2)}  [${[b.x1, b.y1, b.x2, b.y2].map((v) => Math.round(v)).join(', ')}]\n`);
          }
          if (options.out) process.stdout.write(`wrote ${options.out}\n`);
        }
      } finally {
        await argus.close();
      }
    });
}
