import { describe, expect, it } from 'vitest';
import { tuneHeapForServing } from './heap.js';

describe('tuneHeapForServing', () => {
  it('sets the growing factor unless the command line or NODE_OPTIONS gives one', () => {
    expect(tuneHeapForServing(['--heap-growing-percent=50'], '')).toBe(false);
    expect(tuneHeapForServing([], '--max-old-space-size=512 --heap_growing_percent=30')).toBe(false);
    expect(tuneHeapForServing(['--max-old-space-size=512'], '--enable-source-maps')).toBe(true);
  });
});
