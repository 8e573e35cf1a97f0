import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createArgus } from '../app/argus.js';
import type { EmbedOutput } from '../tasks/params/embed.js';
import { configFrom } from './options.js';

export function embedCommand(): Command {
  return new Command('embed')
    .description('embed an image file, or a text with a CLIP-style model (runs locally; no server needed)')
    .argument('[image]', 'image file (JPEG, PNG, WebP, GIF, TIFF)')
    .option('-t, --text <text>', 'embed this text instead of an image (CLIP-style models)')
    .option('-m, --model <alias>', 'model alias (default: the default embedding model)')
    .option('--no-normalize', 'keep the vector as the model returns it (default: L2-normalised)')
    .option('--json', 'print the result as JSON')
    .action(async (image: string | undefined, options: { text?: string; model?: string; normalize: boolean; json?: boolean }, command: Command) => {
      if ((image === undefined) === (options.text === undefined)) command.error('argus embed: give an image file or --text "…", one of them.', { exitCode: 2 });
      const config = configFrom(command, { logLevel: command.optsWithGlobals().logLevel ?? 'warn' });
      const bytes = image === undefined ? undefined : await readFile(image);
      const argus = await createArgus(config, { mode: 'oneshot' });
      try {
        const result = await argus.service.run({
          task: 'embed',
          model: options.model,
          params: { normalize: options.normalize },
          image: bytes && { bytes, filename: image },
          text: options.text,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const { embedding, dim, normalized } = result as unknown as EmbedOutput;
        const what = image ?? JSON.stringify(options.text);
        process.stdout.write(`${what}: ${dim}-d embedding, model ${result.model.alias}${normalized ? ', L2-normalised' : ''}, ${result.timings.total_ms.toFixed(0)} ms\n`);
        process.stdout.write(`${embedding.join(' ')}\n`);
      } finally {
        await argus.close();
      }
    });
}
