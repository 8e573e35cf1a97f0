/**
 * Label sets: the candidate labels a zero-shot (CLIP-style) classifier chooses from, kept as text
 * files, one label per line (`#` comments and blank lines skipped). Built-in sets ship in
 * `catalog/labelsets/<name>.txt` (e.g. `stanford-cars`, the 196 Stanford Cars classes); any other
 * value is read as a path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILTIN_LABELSETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../catalog/labelsets');

export interface LabelSet {
  /** The built-in name, or the file's name without its extension. */
  name: string;
  labels: string[];
  /** The file it was read from. */
  source: string;
}

/** Parses a label file's text: one label per line, comments and blank lines skipped, duplicates refused. */
export function parseLabelSet(text: string, origin: string): string[] {
  const labels = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  if (labels.length === 0) throw new Error(`label set ${origin} has no labels`);
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new Error(`label set ${origin} repeats the label '${label}'`);
    seen.add(label);
  }
  return labels;
}

/** A built-in label set by name, or a label file by path. Throws with the reason when it cannot be read. */
export function loadLabelSet(nameOrPath: string): LabelSet {
  const builtin = /^[a-z0-9][a-z0-9-]*$/.test(nameOrPath) ? join(BUILTIN_LABELSETS_DIR, `${nameOrPath}.txt`) : undefined;
  const source = builtin && existsSync(builtin) ? builtin : resolve(nameOrPath);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new Error(`label set '${nameOrPath}' is neither a built-in set nor a readable file (${(error as Error).message})`);
  }
  return { name: builtin && source === builtin ? nameOrPath : basename(source, extname(source)), labels: parseLabelSet(text, source), source };
}
