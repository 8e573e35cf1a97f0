import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionProvider, IoSpec, LoadSpec, RuntimeSession } from './types.js';

/**
 * A model that is a folder of ONNX graphs, one per component (`<component>/model.onnx`): the
 * layout of Stable Diffusion exports from optimum and Olive (text_encoder, unet, vae_decoder,
 * vae_encoder) beside their tokenizer and scheduler configs. Every graph opens at load with the
 * worker's threads and provider, so the memory a worker reports once ready includes all of them
 * and the provider reported is the one every graph really got.
 */
export interface OnnxFolderSession extends RuntimeSession {
  /** Absolute path of the model folder (tasks read its config files). */
  readonly dir: string;
  /** One session per component, by folder name. */
  readonly graphs: ReadonlyMap<string, RuntimeSession>;
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Opens one graph file with the load spec's threads and provider (the onnx runtime's own opener). */
export type GraphOpener = (file: string, spec: LoadSpec) => Promise<RuntimeSession>;

/** Opens `<dir>/<component>/model.onnx` for every component folder that has one. */
export async function loadOnnxFolder(spec: LoadSpec, open: GraphOpener): Promise<OnnxFolderSession> {
  const dir = spec.file;
  const components: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && (await stat(join(dir, entry.name, 'model.onnx')).then((s) => s.isFile(), () => false))) components.push(entry.name);
  }
  if (components.length === 0) throw new Error(`${dir} is a folder without <component>/model.onnx graphs`);
  const graphs = new Map<string, RuntimeSession>();
  try {
    for (const name of components) {
      try {
        graphs.set(name, await open(join(dir, name, 'model.onnx'), spec));
      } catch (error) {
        throw new Error(`${name}/model.onnx: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  } catch (error) {
    await Promise.all([...graphs.values()].map((g) => g.release().catch(() => undefined)));
    throw error;
  }
  const sessions = [...graphs.values()];
  const fallback = sessions.find((s) => s.fallbackReason);
  const prefixed = (pick: (s: RuntimeSession) => readonly IoSpec[]) =>
    [...graphs].flatMap(([name, s]) => pick(s).map((io) => ({ ...io, name: `${name}/${io.name}` })));
  return {
    dir,
    graphs,
    // A graph that fell back to the CPU makes the whole model a CPU model, said as such.
    provider: (fallback?.provider ?? sessions[0].provider) as ExecutionProvider,
    fallbackReason: fallback?.fallbackReason,
    inputs: prefixed((s) => s.inputs),
    outputs: prefixed((s) => s.outputs),
    metadata: {},
    run: () => Promise.reject(new Error('a folder of graphs is run graph by graph by its task, not fed tensors directly')),
    release: async () => {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
