import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Folder under the models directory that holds pulled Hugging Face repos, one sub-folder per id. */
export const HUGGINGFACE_DIR = 'huggingface';

/** Written into a Hugging Face model's folder once every file of a pull is in place. */
export const HUGGINGFACE_MARKER = '.argus-pull.json';

/** Suffix of a download in progress; it is renamed into place only after its checks pass. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * `rel` resolved under `base`, refusing anything that escapes it. Pulls write and `models rm`
 * deletes at paths taken from manifests and from the Hub's file list, so `../` there must not
 * reach outside the models directory.
 */
export function inside(base: string, rel: string, what: string): string {
  const full = resolve(base, rel);
  const back = relative(resolve(base), full);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) {
    throw new Error(`${what} ${JSON.stringify(rel)} points outside ${base}`);
  }
  return full;
}

/**
 * The real path of `path`, symbolic links resolved: of the longest part that exists, with the
 * rest (a file not downloaded yet) appended. What a path really names is where a link leads, so
 * every "is it inside?" question about model files is asked of real paths.
 */
export function realPath(path: string): string {
  const rest: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      // The native call: one syscall, against a JS walk that lstats every component (~5× slower).
      return join(realpathSync.native(p), ...rest.reverse());
    } catch {
      if (dirname(p) === p) return resolve(path);
      rest.push(basename(p));
    }
  }
}

/** Whether the real path `real` lies under the real path `realRoot` (not the root itself). */
export function under(real: string, realRoot: string): boolean {
  const back = relative(realRoot, real);
  return back !== '' && back.split(sep)[0] !== '..' && !isAbsolute(back);
}

/** Whether `path` really lies under `root` (not the root itself), symbolic links resolved on both. */
export function within(path: string, root: string): boolean {
  return under(realPath(path), realPath(root));
}

/** Where a Hugging Face model's files live: `<modelsDir>/huggingface/<id>/`, the layout transformers.js reads as a local model path. */
export function huggingfaceDir(modelsDir: string, id: string): string {
  // An id is `name` or `owner/name`; anything else (`..`, absolute, deeper paths) is refused.
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(id) || id.includes('..')) {
    throw new Error(`Hugging Face id ${JSON.stringify(id)} is not of the form owner/name`);
  }
  return join(resolve(modelsDir), HUGGINGFACE_DIR, id);
}
