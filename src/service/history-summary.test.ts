import { describe, expect, it } from 'vitest';
import { summarise } from './history-summary.js';

describe('summarise', () => {
  it('names the people a recognition saw, unknown faces counted as such', () => {
    const face = (name: string | null) => ({ box: { x1: 0, y1: 0, x2: 1, y2: 1 }, confidence: 0.9, name, similarity: 0.7 });
    expect(summarise({ faces: [face('Carlo'), face(null), face(null)] })).toEqual({ labels: ['unknown', 'Carlo'], summary: '2 unknown, 1 Carlo' });
    expect(summarise({ faces: [{ box: {}, confidence: 0.9 }] })).toEqual({ labels: ['face'], summary: '1 face' });
  });
});
