/**
 * Licences of model weights, classified from their SPDX ids. Many useful detectors are AGPL or
 * non-commercial, and the obligation that matters for a server — AGPL's network clause — is easy to
 * miss, so Argus says it once where a model is listed, inspected or loaded.
 */

export type LicenceKind = 'permissive' | 'copyleft' | 'non-commercial' | 'unknown';

/** Copyleft families, strongest first. */
export type CopyleftFamily = 'AGPL' | 'GPL' | 'LGPL' | 'weak' | 'share-alike';

export interface LicenceInfo {
  /** The id as written in the manifest. */
  id: string;
  kind: LicenceKind;
  family?: CopyleftFamily;
  /** One line for people, when using the model carries an obligation or restriction worth a warning. */
  warning?: string;
}

const PERMISSIVE = new Set(
  [
    'MIT', 'MIT-0', 'Apache-2.0', 'Apache-1.1', 'BSD-2-Clause', 'BSD-3-Clause', 'BSD-3-Clause-Clear', '0BSD', 'ISC',
    'Zlib', 'Unlicense', 'CC0-1.0', 'CC-BY-2.0', 'CC-BY-2.5', 'CC-BY-3.0', 'CC-BY-4.0', 'BSL-1.0', 'PSF-2.0',
    'Python-2.0', 'WTFPL', 'PDDL-1.0', 'ODC-By-1.0', 'CDLA-Permissive-1.0', 'CDLA-Permissive-2.0', 'OpenMDW-1.0',
  ].map((id) => id.toLowerCase()),
);

// Ranks for combining SPDX expressions: OR lets the user pick the least restrictive option, AND
// binds them to the most restrictive one. Unknown ranks high so it is never hidden by AND.
const RANK: Record<string, number> = { permissive: 0, 'share-alike': 1, weak: 1, LGPL: 2, GPL: 3, AGPL: 4, unknown: 5, 'non-commercial': 6 };

function rank(info: LicenceInfo): number {
  return RANK[info.family ?? info.kind];
}

/** Classifies one SPDX id or a simple SPDX expression (`MIT OR Apache-2.0`, `GPL-3.0-only AND CC-BY-NC-4.0`). */
export function classifyLicence(spdx: string): LicenceInfo {
  const id = spdx.trim();
  // Parentheses are dropped: AND binds tighter than OR in SPDX, which the split order below keeps.
  const flat = id.replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
  const alternatives = flat.split(/ OR /i).map((alt) => {
    const terms = alt.split(/ AND /i).map(classifyOne);
    return terms.reduce((worst, t) => (rank(t) > rank(worst) ? t : worst));
  });
  const chosen = alternatives.reduce((best, a) => (rank(a) < rank(best) ? a : best));
  return { ...chosen, id };
}

function classifyOne(raw: string): LicenceInfo {
  const id = raw.trim().replace(/\+$/, '');
  const lower = id.toLowerCase().replace(/-(only|or-later)$/, '');
  if (/^agpl-/.test(lower)) return withWarning({ id, kind: 'copyleft', family: 'AGPL' });
  if (/^lgpl-/.test(lower)) return { id, kind: 'copyleft', family: 'LGPL' };
  if (/^gpl-/.test(lower)) return withWarning({ id, kind: 'copyleft', family: 'GPL' });
  if (/(^|-)nc(-|$)|non-?commercial/.test(lower)) return withWarning({ id, kind: 'non-commercial' });
  if (/^cc-by-sa-|^odbl-/.test(lower)) return { id, kind: 'copyleft', family: 'share-alike' };
  if (/^(mpl|epl|cddl|eupl)-/.test(lower)) return { id, kind: 'copyleft', family: 'weak' };
  if (PERMISSIVE.has(lower)) return { id, kind: 'permissive' };
  return { id, kind: 'unknown' };
}

// LGPL, MPL and share-alike licences bind changes to the licensed work itself; loading unchanged
// weights behind a server triggers nothing, so they get no warning on every load.
function withWarning(info: LicenceInfo): LicenceInfo {
  const { id } = info;
  const see = `see ${licenceUrl(id)}`;
  if (info.family === 'AGPL') {
    return { ...info, warning: `${id}: serving this model over a network obliges you to offer its source (and the source of the program serving it) to every user; ${see}` };
  }
  if (info.family === 'GPL') {
    return { ...info, warning: `${id}: distributing this model, or a program that bundles it, obliges you to release the source under the GPL; ${see}` };
  }
  return { ...info, warning: `${id}: non-commercial use only; commercial use needs another licence from the rights holder; ${see}` };
}

/** Where people can read the licence: the Creative Commons deed for CC ids, the SPDX page otherwise. */
export function licenceUrl(id: string): string {
  const cc = /^cc-(by(?:-[a-z]+)*)-(\d\.\d)$/i.exec(id);
  if (cc) return `https://creativecommons.org/licenses/${cc[1].toLowerCase()}/${cc[2]}/`;
  return `https://spdx.org/licenses/${encodeURIComponent(id)}.html`;
}

/** The one-line warning that loading or listing a model under `spdx` deserves, if any. */
export function licenceWarning(spdx: string): string | undefined {
  return classifyLicence(spdx).warning;
}
