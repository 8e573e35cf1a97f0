import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { createArgus } from '../app/argus.js';
import type { ClassifyOutput } from '../tasks/params/classify.js';
import { configFrom } from './options.js';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1.');
  return n;
}

export function classifyCommand(): Command {
  return new Command('classify')
    .description('classify an image file (runs locally; no server needed)')
    .argument('<image>', 'image file (JPEG, PNG, WebP, GIF, TIFF)')
    .option('-m, --model <alias>', 'model alias (default: the default classifier)')
    .option('--labels <list>', 'zero-shot labels for a CLIP-style model, comma-separated ("a photo of a cat,a photo of a dog")')
    .option('-k, --top-k <n>', 'how many classes to print', positiveInteger)
    .option('--json', 'print the result as JSON')
    .action(async (image: string, options: { model?: string; labels?: string; topK?: number; json?: boolean }, command: Command) => {
      const config = configFrom(command, { logLevel: command.optsWithGlobals().logLevel ?? 'warn' });
      const bytes = await readFile(image);
      const argus = await createArgus(config, { mode: 'oneshot' });
      try {
        const params = {
          ...(options.topK !== undefined && { top_k: options.topK }),
          ...(options.labels !== undefined && { labels: options.labels.split(',').map((l) => l.trim()).filter(Boolean) }),
        };
        const result = await argus.service.run({ task: 'classify', model: options.model, params, image: { bytes, filename: image } });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const { predictions } = result as unknown as ClassifyOutput;
        process.stdout.write(`${image}: model ${result.model.alias}, ${result.timings.total_ms.toFixed(0)} ms\n`);
        for (const p of predictions) process.stdout.write(`  ${p.confidence.toFixed(4)}  ${p.label} (${p.class_id})\n`);
      } finally {
        await argus.close();
      }
    });
}
