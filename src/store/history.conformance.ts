/**
 * The behaviour every HistoryStore must have, as one suite both implementations run (SQLite in
 * history-sqlite.conformance.test.ts, PostgreSQL in postgres/history.conformance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { HistoryStore, NewHistoryEntry } from './history.js';

export interface HistoryStoreUnderTest {
  store: HistoryStore;
  close(): Promise<void>;
}

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3, 0xff, 0xd9]);

const entry = (n: number, overrides: Partial<NewHistoryEntry> = {}): NewHistoryEntry => ({
  id: `id-${n}`,
  kind: 'sync',
  task: 'detect',
  model: 'yolov8n',
  status: 'succeeded',
  labels: ['person', 'bus'],
  summary: '4 person, 1 bus',
  params: { conf: 0.25, classes: [] },
  // Keys deliberately out of alphabetical order: they must read back as written.
  result: { id: `id-${n}`, width: 810, height: 1080, detections: [{ label: 'bus', confidence: 0.82, box: { x1: 1, y1: 2, x2: 3, y2: 4 } }], timings: { total_ms: 12.5 } },
  result_omitted: false,
  width: 810,
  height: 1080,
  total_ms: 12.5,
  thumbnail: JPEG,
  preview: JPEG,
  created_at: Date.UTC(2026, 0, 1) + n * 1000,
  ...overrides,
});

export function describeHistoryStore(name: string, open: () => Promise<HistoryStoreUnderTest>): void {
  describe(`HistoryStore conformance: ${name}`, () => {
    it('keeps every field and both images, and answers undefined for what it does not have', async () => {
      const { store, close } = await open();
      try {
        await store.add(entry(1, { text: 'a "quoted"\nprompt', error: undefined }));
        await store.add(entry(2, { kind: 'job', status: 'failed', labels: [], summary: 'boom', result: undefined, params: undefined, error: { code: 'model_failed', message: 'boom' }, thumbnail: undefined, preview: undefined, width: undefined, height: undefined, total_ms: undefined }));
        const one = await store.get('id-1');
        const { thumbnail: _t, preview: _p, ...fields } = entry(1, { text: 'a "quoted"\nprompt' });
        expect(one).toEqual({ ...fields, has_thumbnail: true, has_preview: true, owner: '' });
        expect(JSON.stringify(one!.result)).toBe(JSON.stringify(entry(1).result));
        expect(Buffer.from((await store.image('id-1', 'thumbnail'))!)).toEqual(Buffer.from(JPEG));
        expect(Buffer.from((await store.image('id-1', 'preview'))!)).toEqual(Buffer.from(JPEG));

        const two = await store.get('id-2');
        expect(two).toEqual({
          id: 'id-2', kind: 'job', task: 'detect', model: 'yolov8n', status: 'failed', labels: [], summary: 'boom', result_omitted: false,
          error: { code: 'model_failed', message: 'boom' }, has_thumbnail: false, has_preview: false, created_at: entry(2).created_at, owner: '',
        });
        expect(await store.image('id-2', 'preview')).toBeUndefined();
        expect(await store.get('nope')).toBeUndefined();
        expect(await store.image('nope', 'thumbnail')).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('lists newest first in pages, with filters, and facets of what is there', async () => {
      const { store, close } = await open();
      try {
        for (let n = 1; n <= 5; n++) {
          await store.add(entry(n, n % 2 === 0 ? { task: 'classify', model: 'squeezenet', labels: ['minibus'], summary: 'minibus 0.48' } : {}));
        }
        const first = await store.list({ limit: 2 });
        expect(first.items.map((i) => i.id)).toEqual(['id-5', 'id-4']);
        expect(first.items[0]).not.toHaveProperty('result');
        const second = await store.list({ limit: 2, before: first.next });
        expect(second.items.map((i) => i.id)).toEqual(['id-3', 'id-2']);
        const last = await store.list({ limit: 2, before: second.next });
        expect(last.items.map((i) => i.id)).toEqual(['id-1']);
        expect(last.next).toBeUndefined();

        expect((await store.list({ limit: 10, task: 'classify' })).items.map((i) => i.id)).toEqual(['id-4', 'id-2']);
        expect((await store.list({ limit: 10, model: 'yolov8n', label: 'bus' })).items.map((i) => i.id)).toEqual(['id-5', 'id-3', 'id-1']);
        expect((await store.list({ limit: 10, label: 'minibus' })).items.map((i) => i.id)).toEqual(['id-4', 'id-2']);
        // A label is matched whole: "bus" does not find "minibus", and SQL wildcards are plain text.
        expect((await store.list({ limit: 10, label: 'bu%' })).items).toEqual([]);
        expect((await store.list({ limit: 10, since: entry(2).created_at, until: entry(4).created_at })).items.map((i) => i.id)).toEqual(['id-3', 'id-2']);
        expect((await store.list({ limit: 10, status: 'failed' })).items).toEqual([]);

        expect(await store.facets()).toEqual({ tasks: ['classify', 'detect'], models: ['squeezenet', 'yolov8n'], labels: ['bus', 'minibus', 'person'] });
      } finally {
        await close();
      }
    });

    it('replaces an entry with the same id (it becomes the newest), deletes and trims to the newest N', async () => {
      const { store, close } = await open();
      try {
        for (let n = 1; n <= 4; n++) await store.add(entry(n));
        await store.add(entry(2, { summary: 'again' }));
        const listed = await store.list({ limit: 10 });
        expect(listed.items.map((i) => i.id)).toEqual(['id-2', 'id-4', 'id-3', 'id-1']);
        expect(listed.items[0].summary).toBe('again');

        expect(await store.delete('id-4')).toBe(true);
        expect(await store.delete('id-4')).toBe(false);
        expect(await store.trim(2)).toBe(1);
        expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['id-2', 'id-3']);
        expect(await store.trim(5)).toBe(0);
        expect(await store.trim(0)).toBe(2);
        expect(await store.facets()).toEqual({ tasks: [], models: [], labels: [] });
      } finally {
        await close();
      }
    });

    it("keeps each owner's entries to that owner: lists, reads, images, facets and deletes; no owner reads all", async () => {
      const { store, close } = await open();
      try {
        await store.add(entry(1, { owner: 'k_a' }));
        await store.add(entry(2, { owner: 'k_b', task: 'classify', labels: ['minibus'] }));
        await store.add(entry(3));
        expect((await store.list({ limit: 10, owner: 'k_a' })).items.map((i) => [i.id, i.owner])).toEqual([['id-1', 'k_a']]);
        expect((await store.list({ limit: 10, owner: 'k_b' })).items.map((i) => i.id)).toEqual(['id-2']);
        expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['id-3', 'id-2', 'id-1']);
        expect(await store.get('id-1', 'k_b')).toBeUndefined();
        expect((await store.get('id-1', 'k_a'))?.owner).toBe('k_a');
        expect((await store.get('id-1'))?.owner).toBe('k_a');
        expect(await store.image('id-1', 'preview', 'k_b')).toBeUndefined();
        expect(await store.image('id-1', 'preview', 'k_a')).toBeDefined();
        expect(await store.facets('k_b')).toEqual({ tasks: ['classify'], models: ['yolov8n'], labels: ['minibus'] });
        expect(await store.delete('id-1', 'k_b')).toBe(false);
        expect(await store.delete('id-3', 'k_a')).toBe(false);
        expect(await store.delete('id-1', 'k_a')).toBe(true);
        expect(await store.delete('id-3')).toBe(true);
      } finally {
        await close();
      }
    });

    it('adds and trims to the newest N in one call, keeping the images of what stays', async () => {
      const { store, close } = await open();
      try {
        for (let n = 1; n <= 5; n++) await store.add(entry(n), 3);
        expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['id-5', 'id-4', 'id-3']);
        expect(await store.image('id-1', 'preview')).toBeUndefined();
        expect(await store.image('id-5', 'preview')).toBeDefined();
      } finally {
        await close();
      }
    });

    it('adds several entries in order and trims, in one call', async () => {
      const { store, close } = await open();
      try {
        await store.add(entry(1));
        await store.addMany([entry(2), entry(3), entry(4)], 3);
        expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['id-4', 'id-3', 'id-2']);
        await store.addMany([], 1);
        expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['id-4']);
      } finally {
        await close();
      }
    });

    it('keeps an input image until its JPEGs are made, then only the JPEGs; the owner rule holds for it too', async () => {
      const { store, close } = await open();
      try {
        const source = Uint8Array.from([0xff, 0xd8, 9, 8, 7, 0xff, 0xd9]);
        await store.add(entry(1, { thumbnail: undefined, preview: undefined, source, owner: 'k_a' }));
        expect(await store.get('id-1')).toMatchObject({ has_thumbnail: true, has_preview: true });
        expect((await store.list({ limit: 1 })).items[0]).toMatchObject({ has_thumbnail: true, has_preview: true });
        expect(await store.image('id-1', 'preview')).toBeUndefined();
        expect(Buffer.from((await store.source('id-1'))!)).toEqual(Buffer.from(source));
        expect(Buffer.from((await store.source('id-1', 'k_a'))!)).toEqual(Buffer.from(source));
        expect(await store.source('id-1', 'k_b')).toBeUndefined();

        await store.setImages('id-1', { thumbnail: JPEG, preview: Uint8Array.from([0xff, 0xd8, 1, 0xff, 0xd9]) });
        expect(await store.source('id-1')).toBeUndefined();
        expect(Buffer.from((await store.image('id-1', 'thumbnail'))!)).toEqual(Buffer.from(JPEG));
        expect(Buffer.from((await store.image('id-1', 'preview'))!)).toEqual(Buffer.from([0xff, 0xd8, 1, 0xff, 0xd9]));

        // An image that could not be decoded: the source goes, and the entry has no images.
        await store.add(entry(2, { thumbnail: undefined, preview: undefined, source }));
        await store.setImages('id-2', undefined);
        expect(await store.get('id-2')).toMatchObject({ has_thumbnail: false, has_preview: false });
        expect(await store.source('id-2')).toBeUndefined();
        await store.setImages('gone', undefined);
      } finally {
        await close();
      }
    });
  });
}
