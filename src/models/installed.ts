import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Catalog } from './catalog.js';
import type { Manifest } from './manifest.js';
import { PARTIAL_SUFFIX } from './paths.js';

export interface InstalledFile {
  path: string;
  bytes: number;
}

export interface Installation {
  available: boolean;
  /** The model file, or the folder of a Hugging Face model. */
  path?: string;
  /** Why it is not available, and how to make it so. */
  reason?: string;
  /** Files in place (for a folder, every file under it except partial downloads). */
  files: InstalledFile[];
  bytes: number;
  /** Downloads left by an interrupted pull; the next pull resumes them. */
  partials: InstalledFile[];
  /** The manifest names a file outside the folders model files may come from (see Catalog). */
  outside?: boolean;
}

/** What of a model is on disk: its files, their sizes, and any partial downloads. */
export function inspectInstallation(catalog: Catalog, manifest: Manifest): Installation {
  const availability = catalog.availability(manifest);
  const files: InstalledFile[] = [];
  const partials: InstalledFile[] = [];
  const path = availability.path;
  // A path outside the allowed folders is never looked at: its size would tell what is there.
  if (availability.outside) return { ...availability, files, bytes: 0, partials };
  if (path && existsSync(path)) {
    const s = statSync(path);
    if (s.isFile()) files.push({ path, bytes: s.size });
    else if (s.isDirectory()) for (const f of walk(path)) (f.path.endsWith(PARTIAL_SUFFIX) ? partials : files).push(f);
  }
  if (path && manifest.source.type === 'url' && existsSync(path + PARTIAL_SUFFIX)) {
    partials.push({ path: path + PARTIAL_SUFFIX, bytes: statSync(path + PARTIAL_SUFFIX).size });
  }
  return { ...availability, files, bytes: files.reduce((sum, f) => sum + f.bytes, 0), partials };
}

/** Every file under `dir`, sorted by path. */
export function walk(dir: string): InstalledFile[] {
  const out: InstalledFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push({ path: full, bytes: statSync(full).size });
  }
  return out.sort((a, b) => relative(dir, a.path).localeCompare(relative(dir, b.path)));
}
