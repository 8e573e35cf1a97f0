import { afterEach, describe, expect, it } from 'vitest';
import type { VectorStore } from './vectors.js';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

interface Harness {
  store: VectorStore;
  /** A new store over the same data, as after a restart. */
  reopen(): Promise<VectorStore>;
  close(): Promise<void>;
}

/** The suite every VectorStore implementation passes (runners: sqlite/ and postgres/vectors.conformance.test.ts). */
export function describeVectorStore(name: string, open: () => Promise<Harness>): void {
  describe(`VectorStore conformance: ${name}`, () => {
    let harness: Harness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('returns the nearest vectors of one model, best first, with cosine scores and metadata', async () => {
      harness = await open();
      const { store } = harness;
      await store.put({ id: 'x', model: 'm', vector: unit(1, 0, 0), metadata: { file: 'x.jpg' }, createdAt: 1 });
      await store.put({ id: 'xy', model: 'm', vector: unit(1, 1, 0), createdAt: 2 });
      await store.put({ id: 'z', model: 'm', vector: unit(0, 0, 1), createdAt: 3 });
      await store.put({ id: 'other', model: 'n', vector: unit(1, 0, 0), createdAt: 4 });
      const hits = await store.nearest('m', unit(1, 0.1, 0), 2);
      expect(hits.map((h) => h.id)).toEqual(['x', 'xy']);
      expect(hits[0].score).toBeCloseTo(1 / Math.hypot(1, 0.1), 5);
      expect(hits[0].metadata).toEqual({ file: 'x.jpg' });
      expect(hits[1].metadata).toBeUndefined();
      expect(await store.count()).toBe(4);
      expect(await store.count('m')).toBe(3);
      // Another model's space, or a dimension nobody stored, holds nothing to compare with.
      expect((await store.nearest('n', unit(1, 0, 0), 5)).map((h) => h.id)).toEqual(['other']);
      expect(await store.nearest('m', unit(1, 0), 5)).toEqual([]);
      expect(await store.nearest('unknown', unit(1, 0, 0), 5)).toEqual([]);
    });

    it('leaves out an excluded id and still returns k results', async () => {
      harness = await open();
      const { store } = harness;
      for (let i = 0; i < 5; i++) await store.put({ id: `v${i}`, model: 'm', vector: unit(1, i, 0), createdAt: i });
      const hits = await store.nearest('m', unit(1, 0, 0), 3, { exclude: 'v0' });
      expect(hits.map((h) => h.id)).toEqual(['v1', 'v2', 'v3']);
    });

    it("keeps each owner's embeddings to that owner: k of its own nearest, get and delete; no owner searches all", async () => {
      harness = await open();
      const { store } = harness;
      // The other owner's vectors are the nearest: an owner's search must still fill its k.
      for (let i = 0; i < 4; i++) await store.put({ id: `b${i}`, model: 'm', vector: unit(1, i * 0.01, 0), createdAt: i, owner: 'k_b' });
      for (let i = 0; i < 3; i++) await store.put({ id: `a${i}`, model: 'm', vector: unit(1, 1 + i, 0), createdAt: i, owner: 'k_a' });
      await store.put({ id: 'shared', model: 'm', vector: unit(1, 0, 0), createdAt: 9 });
      const mine = await store.nearest('m', unit(1, 0, 0), 2, { owner: 'k_a' });
      expect(mine.map((h) => h.id)).toEqual(['a0', 'a1']);
      expect(mine[0].score).toBeCloseTo(1 / Math.hypot(1, 1), 5);
      expect((await store.nearest('m', unit(1, 0, 0), 2, { owner: 'k_a', exclude: 'a0' })).map((h) => h.id)).toEqual(['a1', 'a2']);
      expect((await store.nearest('m', unit(1, 0, 0), 2)).map((h) => h.id)).toEqual(['b0', 'shared']);
      expect(await store.get('b0', 'k_a')).toBeUndefined();
      expect(await store.get('a0', 'k_a')).toMatchObject({ id: 'a0', owner: 'k_a' });
      expect(await store.get('b0')).toMatchObject({ owner: 'k_b' });
      expect(await store.delete('b0', 'k_a')).toBe(false);
      expect(await store.delete('b0', 'k_b')).toBe(true);
    });

    it('replaces an entry stored again under the same id, and deletes', async () => {
      harness = await open();
      const { store } = harness;
      await store.put({ id: 'a', model: 'm', vector: unit(1, 0), createdAt: 1 });
      await store.put({ id: 'a', model: 'm', vector: unit(0, 1), metadata: { v: 2 }, createdAt: 2 });
      expect(await store.count()).toBe(1);
      const entry = await store.get('a');
      expect([...entry!.vector]).toEqual([0, 1]);
      expect(entry).toMatchObject({ model: 'm', metadata: { v: 2 }, createdAt: 2 });
      expect(await store.delete('a')).toBe(true);
      expect(await store.delete('a')).toBe(false);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.nearest('m', unit(0, 1), 1)).toEqual([]);
    });

    it('keeps what was stored across a reopen', async () => {
      harness = await open();
      await harness.store.put({ id: 'kept', model: 'm', vector: unit(3, 4), metadata: { n: 1 }, createdAt: 7 });
      const reopened = await harness.reopen();
      expect((await reopened.nearest('m', unit(3, 4), 1))[0]).toMatchObject({ id: 'kept', metadata: { n: 1 }, createdAt: 7 });
      expect((await reopened.nearest('m', unit(3, 4), 1))[0].score).toBeCloseTo(1, 5);
    });
  });
}
