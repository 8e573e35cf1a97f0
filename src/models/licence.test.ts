import { describe, expect, it } from 'vitest';
import { classifyLicence, licenceUrl, licenceWarning } from './licence.js';

describe('classifyLicence', () => {
  it.each([
    ['MIT', 'permissive', undefined],
    ['apache-2.0', 'permissive', undefined],
    ['BSD-3-Clause', 'permissive', undefined],
    ['CC-BY-4.0', 'permissive', undefined],
    ['AGPL-3.0', 'copyleft', 'AGPL'],
    ['AGPL-3.0-only', 'copyleft', 'AGPL'],
    ['agpl-3.0-or-later', 'copyleft', 'AGPL'],
    ['GPL-3.0+', 'copyleft', 'GPL'],
    ['GPL-2.0-only', 'copyleft', 'GPL'],
    ['LGPL-2.1', 'copyleft', 'LGPL'],
    ['CC-BY-SA-4.0', 'copyleft', 'share-alike'],
    ['MPL-2.0', 'copyleft', 'weak'],
    ['CC-BY-NC-4.0', 'non-commercial', undefined],
    ['cc-by-nc-sa-4.0', 'non-commercial', undefined],
    ['CC-BY-NC-ND-4.0', 'non-commercial', undefined],
    ['LicenseRef-NonCommercial', 'non-commercial', undefined],
    ['openrail', 'unknown', undefined],
    ['other', 'unknown', undefined],
  ])('%s is %s', (id, kind, family) => {
    const info = classifyLicence(id);
    expect(info.kind).toBe(kind);
    expect(info.family).toBe(family);
    expect(info.id).toBe(id);
  });

  it('lets OR pick the least restrictive option and AND bind to the most restrictive one', () => {
    expect(classifyLicence('AGPL-3.0 OR MIT').kind).toBe('permissive');
    expect(classifyLicence('MIT AND CC-BY-NC-4.0').kind).toBe('non-commercial');
    expect(classifyLicence('(Apache-2.0 AND GPL-3.0-only) OR AGPL-3.0').family).toBe('GPL');
  });
});

describe('licenceWarning', () => {
  it('warns about the AGPL network clause, with where to read more', () => {
    expect(licenceWarning('AGPL-3.0')).toBe(
      'AGPL-3.0: serving this model over a network obliges you to offer its source (and the source of the program serving it) to every user; see https://spdx.org/licenses/AGPL-3.0.html',
    );
  });

  it('warns for GPL and non-commercial licences', () => {
    expect(licenceWarning('GPL-3.0-only')).toMatch(/^GPL-3\.0-only: distributing this model/);
    expect(licenceWarning('CC-BY-NC-4.0')).toBe(
      'CC-BY-NC-4.0: non-commercial use only; commercial use needs another licence from the rights holder; see https://creativecommons.org/licenses/by-nc/4.0/',
    );
  });

  it('stays quiet for permissive, weak copyleft and unknown licences', () => {
    for (const id of ['MIT', 'Apache-2.0', 'LGPL-3.0', 'MPL-2.0', 'CC-BY-SA-4.0', 'other']) expect(licenceWarning(id)).toBeUndefined();
  });
});

describe('licenceUrl', () => {
  it('points CC ids at their deed and everything else at SPDX', () => {
    expect(licenceUrl('CC-BY-NC-SA-4.0')).toBe('https://creativecommons.org/licenses/by-nc-sa/4.0/');
    expect(licenceUrl('CC-BY-4.0')).toBe('https://creativecommons.org/licenses/by/4.0/');
    expect(licenceUrl('Apache-2.0')).toBe('https://spdx.org/licenses/Apache-2.0.html');
  });
});
