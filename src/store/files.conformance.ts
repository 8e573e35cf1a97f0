/**
 * The behaviour every FilesStore must have, as one suite both implementations run (SQLite in
 * files-sqlite.conformance.test.ts, PostgreSQL in postgres/files.conformance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { FilesStore, NewFile, Recognition } from './files.js';

export interface FilesStoreUnderTest {
  store: FilesStore;
  /** The same data through a fresh connection (a restart). */
  reopen(): Promise<FilesStore>;
  close(): Promise<void>;
}

const file = (n: number, overrides: Partial<NewFile> = {}): NewFile => ({
  filename: `car-${n}.jpg`, contentType: 'image/jpeg', sizeBytes: 1000 + n, sha256: n.toString(16).padStart(64, '0'),
  width: 640, height: 480, blobKey: `file-${n}.jpg`, uploadedAt: Date.UTC(2026, 0, n), ...overrides,
});

const recognition = (label: string, confidence: number, model = 'clip', inference = 10): Recognition => ({
  model: { alias: model, sha256: 'ab'.repeat(32) },
  labelSet: model === 'clip' ? 'stanford-cars' : undefined,
  predictions: [{ label, class_id: 3, confidence }, { label: 'other', class_id: 4, confidence: Math.max(0, 1 - confidence - 0.01) }],
  timings: { decode_ms: 1, preprocess_ms: 2, inference_ms: inference, postprocess_ms: 0.5, queue_ms: 0, total_ms: inference + 4 },
  processedAt: Date.UTC(2026, 1, 1),
});

export function describeFilesStore(name: string, open: () => Promise<FilesStoreUnderTest>): void {
  describe(`FilesStore conformance: ${name}`, () => {
    it('numbers images 1, 2, 3 … and never reuses an id after a delete', async () => {
      const { store, close } = await open();
      try {
        const ids = [];
        for (let n = 1; n <= 3; n++) ids.push((await store.insert(file(n))).id);
        expect(ids).toEqual([1, 2, 3]);
        const deleted = await store.delete(3);
        expect(deleted).toMatchObject({ id: 3, blobKey: 'file-3.jpg' });
        expect(await store.delete(3)).toBeUndefined();
        expect((await store.insert(file(4))).id).toBe(4);
      } finally {
        await close();
      }
    });

    it('keeps every field, and a recognition until it is cleared, across a reopen', async () => {
      const { store, reopen, close } = await open();
      try {
        const stored = await store.insert(file(1, { filename: 'a,"b"\nc.jpg', contentType: 'image/png' }));
        expect(stored).toEqual({ id: 1, ...file(1, { filename: 'a,"b"\nc.jpg', contentType: 'image/png' }) });
        expect(stored.recognition).toBeUndefined();
        const recognized = await store.setRecognition(1, recognition('Tesla Model S Sedan 2012', 0.83));
        expect(recognized?.recognition).toEqual(recognition('Tesla Model S Sedan 2012', 0.83));
        const again = await (await reopen()).get(1);
        expect(again).toEqual(recognized);
        const cleared = await store.clearRecognition(1);
        expect(cleared?.recognition).toBeUndefined();
        expect((await store.get(1))?.recognition).toBeUndefined();
        expect(await store.setRecognition(99, recognition('x', 0.5))).toBeUndefined();
        expect(await store.clearRecognition(99)).toBeUndefined();
        expect(await store.get(99)).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('lists with paging, order and filters (processed, label, upload date range), with the total', async () => {
      const { store, close } = await open();
      try {
        for (let n = 1; n <= 6; n++) await store.insert(file(n));
        await store.setRecognition(2, recognition('BMW M3 Coupe 2012', 0.9));
        await store.setRecognition(4, recognition('bmw m3 coupe 2012', 0.4));
        await store.setRecognition(5, recognition('Audi R8 Coupe 2012', 0.7));
        const page = await store.list({ limit: 2, offset: 1 });
        expect(page.items.map((f) => f.id)).toEqual([2, 3]);
        expect(page.total).toBe(6);
        expect((await store.list({ limit: 3, offset: 0, order: 'desc' })).items.map((f) => f.id)).toEqual([6, 5, 4]);
        expect((await store.list({ offset: 2 })).items.map((f) => f.id)).toEqual([3, 4, 5, 6]);
        expect((await store.list({ limit: 10, offset: 0, processed: true })).items.map((f) => f.id)).toEqual([2, 4, 5]);
        expect((await store.list({ limit: 10, offset: 0, processed: false })).total).toBe(3);
        expect((await store.list({ limit: 10, offset: 0, label: 'BMW M3 COUPE 2012' })).items.map((f) => f.id)).toEqual([2, 4]);
        const range = await store.list({ limit: 10, offset: 0, from: Date.UTC(2026, 0, 2), to: Date.UTC(2026, 0, 5) });
        expect(range.items.map((f) => f.id)).toEqual([2, 3, 4]);
        expect(await store.count({ processed: true, from: Date.UTC(2026, 0, 5) })).toBe(1);
        expect((await store.page(0, 4)).map((f) => f.id)).toEqual([1, 2, 3, 4]);
        expect((await store.page(4, 4)).map((f) => f.id)).toEqual([5, 6]);
        expect((await store.page(1, 10, { processed: true })).map((f) => f.id)).toEqual([2, 4, 5]);
        expect(await store.page(6, 10)).toEqual([]);
      } finally {
        await close();
      }
    });

    it('computes statistics: totals, top labels, a confidence histogram, mean inference time and models', async () => {
      const { store, close } = await open();
      try {
        const empty = await store.stats();
        expect(empty).toEqual({ total: 0, processed: 0, labels: [], confidence: new Array(10).fill(0), meanInferenceMs: null, models: [] });
        for (let n = 1; n <= 6; n++) await store.insert(file(n));
        await store.setRecognition(1, recognition('Audi R8 Coupe 2012', 0.95, 'clip', 10));
        await store.setRecognition(2, recognition('Audi R8 Coupe 2012', 1, 'clip', 20));
        await store.setRecognition(3, recognition('BMW M3 Coupe 2012', 0.05, 'squeezenet', 30));
        await store.setRecognition(4, recognition('Acura RL Sedan 2012', 0.3, 'clip', 40));
        const stats = await store.stats();
        expect(stats).toMatchObject({ total: 6, processed: 4, meanInferenceMs: 25 });
        expect(stats.labels).toEqual([
          { label: 'Audi R8 Coupe 2012', count: 2 }, { label: 'BMW M3 Coupe 2012', count: 1 }, { label: 'Acura RL Sedan 2012', count: 1 },
        ]);
        expect(stats.confidence).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
        expect(stats.models).toEqual([{ model: 'clip', count: 3 }, { model: 'squeezenet', count: 1 }]);
        // Ties in the order of their first image, as Python's Counter.most_common over the files.
        await store.clearRecognition(1);
        expect((await store.stats()).labels.map((l) => l.label)).toEqual(['Audi R8 Coupe 2012', 'BMW M3 Coupe 2012', 'Acura RL Sedan 2012']);
        await store.clearRecognition(2);
        expect((await store.stats()).labels.map((l) => l.label)).toEqual(['BMW M3 Coupe 2012', 'Acura RL Sedan 2012']);
      } finally {
        await close();
      }
    });

    it('records an owner and filters lists, counts, pages and statistics by it (security, migration 060)', async () => {
      const { store, close } = await open();
      try {
        await store.insert(file(1, { owner: 'k_a' }));
        await store.insert(file(2, { owner: 'k_b' }));
        await store.insert(file(3));
        expect((await store.get(1))?.owner).toBe('k_a');
        expect((await store.get(3))?.owner).toBeUndefined();
        await store.setRecognition(1, recognition('BMW M3 Coupe 2012', 0.9));
        await store.setRecognition(2, recognition('Tesla Model S Sedan 2012', 0.8));
        const { items, total } = await store.list({ limit: 10, offset: 0, owner: 'k_a' });
        expect({ ids: items.map((f) => f.id), total }).toEqual({ ids: [1], total: 1 });
        expect(await store.count({ owner: 'k_b' })).toBe(1);
        expect(await store.count({ owner: '' })).toBe(1);
        expect((await store.page(0, 10, { owner: 'k_b' })).map((f) => f.id)).toEqual([2]);
        const mine = await store.stats('k_a');
        expect({ total: mine.total, processed: mine.processed, labels: mine.labels }).toEqual({ total: 1, processed: 1, labels: [{ label: 'BMW M3 Coupe 2012', count: 1 }] });
        expect((await store.stats()).total).toBe(3);
      } finally {
        await close();
      }
    });
  });
}
