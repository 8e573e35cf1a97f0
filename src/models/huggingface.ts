import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../errors.js';
import { downloadFile, sha256File, type DownloadResult } from './download.js';
import { HttpFailure, open, type HttpOptions } from './http.js';
import { HUGGINGFACE_MARKER, huggingfaceDir, inside } from './paths.js';
import type { ProgressListener } from './progress.js';

export const DEFAULT_HUGGINGFACE_ENDPOINT = 'https://huggingface.co';

/** One file of a Hub repo, with what the Hub says about it (nothing when the manifest listed it). */
export interface HubFile {
  name: string;
  size?: number;
  /** Present for LFS files (the weights), which the Hub hashes with sha256. */
  sha256?: string;
}

export interface HubSource {
  id: string;
  revision?: string;
  files?: string[];
}

export interface HubPullOptions extends HttpOptions {
  modelsDir: string;
  alias: string;
  /** @defaultValue https://huggingface.co */
  endpoint?: string;
  onProgress?: ProgressListener;
}

export interface HubFileResult extends Omit<DownloadResult, 'rate' | 'sha256'> {
  /** Of the bytes on disk; absent for a kept file the Hub gave no hash for (it is not re-read). */
  sha256?: string;
  /** True when the file was already in place (and matched the Hub's size and sha256 where given). */
  skipped: boolean;
}

// Repo metadata for git, never read by transformers.js.
const SKIPPED = new Set(['.gitattributes']);

/** The files of a repo at a revision, from `GET {endpoint}/api/models/{id}/revision/{rev}` (`blobs=true` adds sizes and LFS hashes). */
export async function listHubFiles(source: HubSource, options: HubPullOptions): Promise<HubFile[]> {
  const revision = source.revision ?? 'main';
  const url = `${base(options)}/api/models/${source.id}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let body: unknown;
  try {
    const answer = await open(url, { accept: 'application/json' }, options);
    if (answer.response.status !== 200) {
      await answer.discard();
      const hint = [401, 403].includes(answer.response.status) ? ' (gated or private repos need a token, which Argus does not send yet)' : '';
      throw errors.pullFailed(options.alias, `${url} answered HTTP ${answer.response.status}${hint}`);
    }
    const parts: Uint8Array[] = [];
    for await (const chunk of answer.chunks()) parts.push(chunk);
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    if (error instanceof HttpFailure || error instanceof SyntaxError) throw errors.pullFailed(options.alias, `${error.message} (${url})`);
    throw error;
  }
  const siblings = (body as { siblings?: unknown }).siblings;
  if (!Array.isArray(siblings)) throw errors.pullFailed(options.alias, `${url} did not list the repo's files (no "siblings")`);
  return siblings
    .map((s: { rfilename?: unknown; size?: unknown; lfs?: { sha256?: unknown; size?: unknown } }) => ({
      name: String(s.rfilename ?? ''),
      size: typeof s.lfs?.size === 'number' ? s.lfs.size : typeof s.size === 'number' ? s.size : undefined,
      sha256: typeof s.lfs?.sha256 === 'string' ? s.lfs.sha256 : undefined,
    }))
    .filter((f) => f.name && !SKIPPED.has(f.name));
}

/** Where the Hub serves one file of a repo. */
export function hubFileUrl(endpoint: string, id: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Pulls the files of a transformers.js model into `<modelsDir>/huggingface/<id>/`. config.json
 * comes last and a marker is written after it, so an interrupted pull never looks complete to
 * {@link Catalog.availability}.
 */
export async function pullHubRepo(source: HubSource, options: HubPullOptions): Promise<{ dir: string; files: HubFileResult[] }> {
  const dir = huggingfaceDir(options.modelsDir, source.id);
  const revision = source.revision ?? 'main';
  const listed = source.files?.map((name): HubFile => ({ name })) ?? (await listHubFiles(source, options));
  if (listed.length === 0) throw errors.pullFailed(options.alias, `the Hub lists no files for ${source.id}@${revision}`);
  const ordered = [...listed].sort((a, b) => Number(a.name === 'config.json') - Number(b.name === 'config.json'));
  // A marker from an earlier pull would vouch for a folder this pull is about to change.
  await rm(join(dir, HUGGINGFACE_MARKER), { force: true });
  const results: HubFileResult[] = [];
  for (const file of ordered) {
    const dest = safeDest(options.alias, dir, file.name);
    if (await alreadyThere(dest, file)) {
      const { size } = await stat(dest);
      results.push({ path: dest, bytes: size, sha256: file.sha256, resumedFrom: 0, skipped: true });
      continue;
    }
    const done = await downloadFile({
      ...options,
      url: hubFileUrl(base(options), source.id, revision, file.name),
      dest,
      sha256: file.sha256,
      size: file.size,
      label: `${options.alias}: ${file.name}`,
    });
    results.push({ path: done.path, bytes: done.bytes, sha256: done.sha256, resumedFrom: done.resumedFrom, skipped: false });
  }
  const marker = { id: source.id, revision, files: ordered.map((f) => f.name), pulledAt: new Date().toISOString() };
  await writeFile(join(dir, HUGGINGFACE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, files: results };
}

/** A file from an earlier pull is kept when it matches what the Hub says; with nothing to compare, its presence is enough. */
async function alreadyThere(path: string, file: HubFile): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile() || (file.size !== undefined && s.size !== file.size)) return false;
    return file.sha256 === undefined || (await sha256File(path)) === file.sha256;
  } catch {
    return false;
  }
}

function safeDest(alias: string, dir: string, name: string): string {
  try {
    return inside(dir, name, 'Hub file');
  } catch (error) {
    throw errors.pullFailed(alias, (error as Error).message);
  }
}

function base(options: HubPullOptions): string {
  return (options.endpoint ?? DEFAULT_HUGGINGFACE_ENDPOINT).replace(/\/+$/, '');
}
