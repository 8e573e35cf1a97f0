import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { createArgus } from '../app/argus.js';
import { errors } from '../errors.js';
import { configFrom } from './options.js';

interface SceneOutput {
  camera_id: string;
  risk_level: string;
  priority: string;
  description: string;
  objects: Array<{ label: string; confidence: number; ground?: { x: number; y: number }; zone?: string }>;
  events: Array<{ rule: string; risk_level: string; message: string }>;
}

async function readCameraFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  return ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
}

/**
 * `argus analyze IMAGE --camera ID | --camera-config FILE`: scene analysis of one frame, locally.
 * The camera file flag is not `--config`: that name is the global Argus config flag, which
 * commander recognises after the subcommand too.
 */
export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('scene analysis of one frame: ground positions, zones, rules, risk and priority (runs locally)')
    .argument('<image>', 'image file (a CCTV or drone frame)')
    .option('--camera <id>', 'a camera of the pipeline config file (ARGUS_PIPELINE_CONFIG)')
    .option('--camera-config <file>', 'a camera config file (JSON or YAML), as PUT /v1/cameras/{id} takes')
    .option('--json', 'print the result as JSON')
    .action(async (image: string, options: { camera?: string; cameraConfig?: string; json?: boolean }, command: Command) => {
      if (!options.camera === !options.cameraConfig) throw errors.badRequest('Give --camera ID or --camera-config FILE (one of the two).');
      const config = configFrom(command, { logLevel: command.optsWithGlobals().logLevel ?? 'warn' });
      const bytes = await readFile(image);
      const params = options.camera ? { camera_id: options.camera } : { camera: await readCameraFile(options.cameraConfig!) };
      const argus = await createArgus(config, { mode: 'oneshot' });
      try {
        const result = await argus.service.run({ task: 'analyze', params, image: { bytes, filename: image } });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const scene = result as unknown as SceneOutput;
        process.stdout.write(`${image}: risk ${scene.risk_level} (${scene.priority}), camera ${scene.camera_id}, model ${result.model.alias}\n${scene.description}\n`);
        for (const e of scene.events) process.stdout.write(`  event  ${e.risk_level.padEnd(8)} ${e.rule}: ${e.message}\n`);
        for (const o of scene.objects) {
          const ground = o.ground ? ` at (${o.ground.x.toFixed(2)}, ${o.ground.y.toFixed(2)}) m` : '';
          process.stdout.write(`  ${o.label.padEnd(16)} ${o.confidence.toFixed(2)}${ground}${o.zone ? ` in ${o.zone}` : ''}\n`);
        }
      } finally {
        await argus.close();
      }
    });
}
