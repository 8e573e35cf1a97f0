import { readFileSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../../test/helpers.js';
import { clipTokenizerJson, loadClipTokenizer, loadTextTokenizer } from './tokenizer.js';

const TOKENIZER_DIR = join(REPO_ROOT, 'test/fixtures/tiny-diffusion/tokenizer');
/** Ids from CLIP's own BPE algorithm (Python, in scripts/make-tiny-diffusion.py) for the same vocabulary. */
const REFERENCE = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/tiny-diffusion.tokens.json'), 'utf8')) as {
  bos: number; eos: number; pad: number; cases: Array<{ text: string; ids: number[] }>;
};

describe('CLIP tokenizer from vocab.json + merges.txt (no tokenizer.json, as the Olive export ships it)', () => {
  it('gives the ids of CLIP\'s reference BPE, specials, case folding, punctuation and UTF-8 bytes included', async () => {
    const { tokenizer } = await loadTextTokenizer(TOKENIZER_DIR);
    expect(REFERENCE.cases.length).toBeGreaterThanOrEqual(5);
    for (const { text, ids } of REFERENCE.cases) expect(tokenizer.encode(text), text).toEqual(ids);
  });

  it('pads with the config\'s pad token ("!" = id 0 in SD 2.x) to 77 and keeps EOS when it truncates', async () => {
    const clip = await loadClipTokenizer(TOKENIZER_DIR);
    expect(clip.length).toBe(77);
    const short = clip.encode('a cat');
    expect(short.ids).toHaveLength(77);
    expect(short.ids.slice(0, 4)).toEqual(REFERENCE.cases[0].ids);
    expect(short.ids.slice(4).every((id) => id === REFERENCE.pad)).toBe(true);
    expect(REFERENCE.pad).toBe(0);
    expect(short).toMatchObject({ used: 2, dropped: 0 });

    const long = clip.encode('a cat '.repeat(60));
    expect(long.ids).toHaveLength(77);
    expect(long.ids[0]).toBe(REFERENCE.bos);
    expect(long.ids[76]).toBe(REFERENCE.eos);
    expect(long.used).toBe(75);
    expect(long.dropped).toBe(120 - 75);
    expect(clip.decode(long.ids.slice(0, 5))).toBe('a cat a cat');
  });

  it('reads tokenizer.json instead when the folder has one', async () => {
    const dir = tempDir();
    try {
      await cp(TOKENIZER_DIR, dir, { recursive: true });
      const vocab = JSON.parse(readFileSync(join(TOKENIZER_DIR, 'vocab.json'), 'utf8')) as Record<string, number>;
      // A tokenizer.json whose vocabulary swaps two ids: only it can produce the swapped ids.
      const swapped = { ...vocab, 'a</w>': vocab['cat</w>'] ?? -1, 'cat</w>': vocab['a</w>'] };
      await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(clipTokenizerJson(swapped, readFileSync(join(TOKENIZER_DIR, 'merges.txt'), 'utf8'))));
      await rm(join(dir, 'vocab.json'));
      const { tokenizer } = await loadTextTokenizer(dir);
      const ids = tokenizer.encode('a cat');
      expect(ids.slice(1, 3)).toEqual([swapped['a</w>'], swapped['cat</w>']]);
      expect(ids.slice(1, 3)).toEqual(REFERENCE.cases[0].ids.slice(1, 3).reverse());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
