import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { loadLabelSet, parseLabelSet } from './labelsets.js';

describe('label sets', () => {
  it('ships the 196 Stanford Cars classes in class-index order', () => {
    const set = loadLabelSet('stanford-cars');
    expect(set.name).toBe('stanford-cars');
    expect(set.labels).toHaveLength(196);
    expect(new Set(set.labels).size).toBe(196);
    expect(set.labels[0]).toBe('AM General Hummer SUV 2000');
    expect(set.labels[184]).toBe('Tesla Model S Sedan 2012');
    expect(set.labels[195]).toBe('smart fortwo Convertible 2012');
  });

  it('reads a file of the user, skipping comments and blank lines', () => {
    const file = join(tempDir(), 'colours.txt');
    writeFileSync(file, '# my labels\nred\n\n  green  \nblue\n');
    expect(loadLabelSet(file)).toMatchObject({ name: 'colours', labels: ['red', 'green', 'blue'] });
  });

  it('refuses an unknown set, an empty file and repeated labels', () => {
    expect(() => loadLabelSet('no-such-set')).toThrow(/neither a built-in set nor a readable file/);
    expect(() => parseLabelSet('# nothing\n\n', 'x')).toThrow(/no labels/);
    expect(() => parseLabelSet('a\nb\na\n', 'x')).toThrow(/repeats the label 'a'/);
  });
});
