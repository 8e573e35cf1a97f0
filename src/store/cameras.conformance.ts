import { describe, expect, it } from 'vitest';
import type { CameraStore } from './cameras.js';

/** The suite every CameraStore implementation passes (runners: sqlite/ and postgres/cameras.conformance.test.ts). */
interface Opened {
  store: CameraStore;
  reopen(): CameraStore;
  close(): void | Promise<void>;
}

export function describeCameraStore(name: string, open: () => Opened | Promise<Opened>): void {
  describe(`CameraStore: ${name}`, () => {
    it('creates, replaces, lists, deletes, and keeps cameras across a reopen', async () => {
      const { store, reopen, close } = await open();
      try {
        expect(await store.get('gate')).toBeUndefined();
        const first = await store.put('gate', { conf: 0.3, zones: [] });
        expect(first.created).toBe(true);
        expect(first.record).toMatchObject({ id: 'gate', config: { conf: 0.3, zones: [] } });
        const second = await store.put('gate', { conf: 0.5 });
        expect(second.created).toBe(false);
        expect(second.record.created_at).toBe(first.record.created_at);
        expect(second.record.updated_at).toBeGreaterThanOrEqual(first.record.updated_at);
        await store.put('dock', { model: 'yolo11n' });
        expect((await store.list()).map((c) => c.id)).toEqual(['dock', 'gate']);
        expect((await reopen().get('gate'))?.config).toEqual({ conf: 0.5 });
        expect(await store.delete('dock')).toBe(true);
        expect(await store.delete('dock')).toBe(false);
        expect((await store.list()).map((c) => c.id)).toEqual(['gate']);
      } finally {
        await close();
      }
    });
  });
}
