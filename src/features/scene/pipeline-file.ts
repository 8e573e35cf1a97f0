import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config/load.js';
import { ArgusError } from '../../errors.js';
import { compileCamera, type CompiledCamera, type Priorities } from './config.js';
import { readDronePipeline, type DronePipeline } from './drone-pipeline.js';
import { CAMERA_ID, PipelineFileSchema } from './schema.js';

export interface PipelineFile {
  path: string;
  /** Default priorities for every camera (file, API and inline). */
  priorities?: Partial<Priorities>;
  cameras: Map<string, CompiledCamera>;
  /** The drone service's pipeline_config.json keys, when the file has them. */
  drone?: DronePipeline;
}

/**
 * Reads the pipeline config file (JSON or YAML: `{priorities?, cameras: {<id>: <camera>}}`, or the
 * drone service's `{use_yolo, yolo_model, use_blip, blip_model}`, or both) and compiles every camera. Any problem stops the start, with its exact path in the file
 * (`/cameras/gate/zones/2/polygon: needs at least 3 points`).
 */
export function loadPipelineFile(path: string): PipelineFile {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`pipeline config file ${path}: ${(error as Error).message}`]);
  }
  const where = (problem: string) => `pipeline config file ${path}: ${problem}`;
  if (!Value.Check(PipelineFileSchema, parsed)) {
    throw new ConfigError([...Value.Errors(PipelineFileSchema, parsed)].filter((e) => e.keyword !== 'boolean').map((e) => where(`${e.instancePath || '/'}: ${e.message}`)));
  }
  const file = parsed as { priorities?: Partial<Priorities>; cameras?: Record<string, unknown> } & Parameters<typeof readDronePipeline>[0];
  const drone = readDronePipeline(file);
  const problems: string[] = drone.problems.map(where);
  const cameras = new Map<string, CompiledCamera>();
  for (const [id, config] of Object.entries(file.cameras ?? {})) {
    if (!CAMERA_ID.test(id)) {
      problems.push(where(`/cameras/${id}: a camera id is 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`));
      continue;
    }
    try {
      cameras.set(id, compileCamera(id, config, { priorities: file.priorities }));
    } catch (error) {
      if (!(error instanceof ArgusError)) throw error;
      for (const p of error.details as Array<{ path: string; message: string }>) problems.push(where(`/cameras/${id}${p.path}: ${p.message}`));
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { path, priorities: file.priorities, cameras, ...(drone.settings && { drone: drone.settings }) };
}
