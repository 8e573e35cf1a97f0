import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { tuneHeap } from './heap.js';

describe('tuneHeap', () => {
  it('leaves a growing factor given on node\'s command line alone', () => {
    expect(tuneHeap(100, ['--heap-growing-percent=50'])).toBe(false);
    expect(tuneHeap(100, ['--max-old-space-size=512', '--heap_growing_percent=30'])).toBe(false);
    expect(tuneHeap(100, ['--max-old-space-size=512'])).toBe(true);
  });

  it('is 100 % unless configured (ARGUS_HEAP_GROWING_PERCENT), and refuses nonsense', () => {
    expect(loadConfig({ env: {} }).heapGrowingPercent).toBe(100);
    expect(loadConfig({ env: { ARGUS_HEAP_GROWING_PERCENT: '0' } }).heapGrowingPercent).toBe(0);
    expect(() => loadConfig({ env: { ARGUS_HEAP_GROWING_PERCENT: '-5' } })).toThrow(/heapGrowingPercent/);
  });
});
