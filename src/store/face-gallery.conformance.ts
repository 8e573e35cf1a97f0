/**
 * The behaviour every FaceGalleryStore must have, as one suite both implementations run (SQLite in
 * face-gallery-sqlite.conformance.test.ts, PostgreSQL in postgres/face-gallery.conformance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { FaceGalleryStore, NewGalleryFace } from './face-gallery.js';

export interface FaceGalleryStoreUnderTest {
  store: FaceGalleryStore;
  close(): Promise<void>;
}

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3, 0xff, 0xd9]);

/** An embedding whose values tell faces apart and survive float32 (small integers over 8). */
const vector = (seed: number) => Array.from({ length: 1024 }, (_, i) => ((seed * 31 + i) % 17) / 8 - 1);

const face = (n: number, overrides: Partial<NewGalleryFace> = {}): NewGalleryFace => ({
  id: `face-${n}`,
  name: 'alice',
  owner: '',
  model: 'yunet',
  box: { x1: 10.5, y1: 20, x2: 110.25, y2: 140 },
  confidence: 0.9146,
  created_at: Date.UTC(2026, 0, 1) + n * 1000,
  embedding: vector(n),
  crop: JPEG,
  ...overrides,
});

export function describeFaceGalleryStore(name: string, open: () => Promise<FaceGalleryStoreUnderTest>): void {
  describe(`FaceGalleryStore conformance: ${name}`, () => {
    it('keeps every field, the embedding to float32 precision and the crop', async () => {
      const { store, close } = await open();
      try {
        await store.add([face(1), face(2, { crop: undefined, name: 'Bob Ó Briain' })]);
        const all = await store.list({});
        const listed = (n: number, name: string, hasCrop: boolean) => {
          const { embedding: _e, crop: _c, ...fields } = face(n, { name });
          return { ...fields, has_crop: hasCrop };
        };
        // Byte order: 'B' (0x42) sorts before 'a' (0x61).
        expect(all).toEqual([listed(2, 'Bob Ó Briain', false), listed(1, 'alice', true)]);
        const [first] = await store.embeddings('yunet', '');
        expect(first.embedding).toBeInstanceOf(Float32Array);
        const stored = await store.embeddings('yunet');
        expect(stored.map((s) => s.id).sort()).toEqual(['face-1', 'face-2']);
        const one = stored.find((s) => s.id === 'face-1')!;
        expect(Array.from(one.embedding)).toEqual(vector(1));
        expect(Buffer.from((await store.crop('face-1'))!)).toEqual(Buffer.from(JPEG));
        expect(await store.crop('face-2')).toBeUndefined();
        expect(await store.crop('nope')).toBeUndefined();
        expect(await store.embeddings('other-model')).toEqual([]);
      } finally {
        await close();
      }
    });

    it('lists by name then age, and keeps owners apart', async () => {
      const { store, close } = await open();
      try {
        await store.add([face(3, { name: 'bob' }), face(1), face(2), face(4, { owner: 'k_other', name: 'carol' })]);
        expect((await store.list({})).map((f) => f.id)).toEqual(['face-1', 'face-2', 'face-3', 'face-4']);
        expect((await store.list({ owner: '' })).map((f) => f.id)).toEqual(['face-1', 'face-2', 'face-3']);
        expect((await store.list({ owner: 'k_other' })).map((f) => f.name)).toEqual(['carol']);
        expect((await store.list({ name: 'alice' })).map((f) => f.id)).toEqual(['face-1', 'face-2']);
        expect(await store.list({ owner: 'k_other', name: 'alice' })).toEqual([]);
        expect((await store.embeddings('yunet', 'k_other')).map((e) => e.name)).toEqual(['carol']);
        expect(await store.crop('face-4', '')).toBeUndefined();
        expect(await store.crop('face-4', 'k_other')).toBeDefined();
      } finally {
        await close();
      }
    });

    it('adds all or nothing, and deletes a person or one face, only within an owner when one is given', async () => {
      const { store, close } = await open();
      try {
        await store.add([face(1), face(2), face(3, { owner: 'k_other' })]);
        // A duplicate id fails the whole batch: face-9 must not be there afterwards.
        await expect(store.add([face(9), face(1)])).rejects.toThrow();
        expect((await store.list({})).map((f) => f.id)).toEqual(['face-1', 'face-2', 'face-3']);

        expect(await store.delete({ id: 'face-3', owner: '' })).toBe(0);
        expect(await store.delete({ id: 'face-2' })).toBe(1);
        expect(await store.delete({ name: 'alice', owner: '' })).toBe(1);
        expect((await store.list({})).map((f) => f.id)).toEqual(['face-3']);
        expect(await store.delete({ name: 'alice' })).toBe(1);
        expect(await store.delete({ name: 'alice' })).toBe(0);
        expect(await store.list({})).toEqual([]);
      } finally {
        await close();
      }
    });
  });
}
