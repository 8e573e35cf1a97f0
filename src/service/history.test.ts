/**
 * The history's write path: nothing but a list push on the request's path, one transaction per
 * batch, reads that see every answered request, nothing lost on a clean shutdown, and previews made
 * on first look from the kept bytes (once, not by the model workers).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { image, tempDir } from '../../test/helpers.js';
import type { JobQueue } from '../jobs/types.js';
import { SqliteHistoryStore } from '../store/sqlite/history.js';
import { openDatabase, type SqliteDatabase } from '../store/sqlite/database.js';
import { makeThumbnails, type ThumbnailOptions } from '../vision/thumbnail.js';
import { HistoryService } from './history.js';
import type { FinishedRequest, InferenceService, ResultListener, TaskResult } from './inference.js';

const bus = image('bus.jpg');

function finished(n: number, overrides: Partial<FinishedRequest> = {}): FinishedRequest {
  const result = { id: `r-${n}`, model: { alias: 'yolov8n' }, detections: [{ label: 'bus', confidence: 0.9 }], timings: { total_ms: 10 } } as unknown as TaskResult;
  return { kind: 'sync', id: `r-${n}`, task: 'detect', model: 'yolov8n', params: { conf: 0.25 }, image: { bytes: bus }, result, ...overrides };
}

describe('HistoryService write path', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: SqliteHistoryStore;
  let listener: ResultListener;
  let onResultOptions: unknown;
  let thumbnails: ReturnType<typeof vi.fn<(bytes: Uint8Array, options: ThumbnailOptions) => ReturnType<typeof makeThumbnails>>>;
  let history: HistoryService;

  beforeEach(() => {
    dir = tempDir('argus-history-service-');
    db = openDatabase(join(dir, 'argus.db'));
    store = new SqliteHistoryStore(db);
    const service = {
      onResult: (l: ResultListener, options?: unknown) => {
        listener = l;
        onResultOptions = options;
        return () => undefined;
      },
    } as unknown as InferenceService;
    thumbnails = vi.fn((bytes: Uint8Array, options: ThumbnailOptions) => makeThumbnails(bytes, options));
    history = new HistoryService({ service, queue: {} as JobQueue, store, log: pino({ level: 'silent' }), size: 3, maxPixels: 50_000_000, thumbnails });
  });

  afterEach(async () => {
    await history.idle();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the model workers for no previews, and writes nothing on the request path', async () => {
    expect(onResultOptions).toBeUndefined();
    const addMany = vi.spyOn(store, 'addMany');
    const add = vi.spyOn(store, 'add');
    listener(finished(1));
    listener(finished(2));
    listener(finished(3));
    expect(addMany).not.toHaveBeenCalled();
    expect(add).not.toHaveBeenCalled();
    expect(thumbnails).not.toHaveBeenCalled();
    // Written by the timer, all three in one call (one transaction).
    await vi.waitFor(() => expect(addMany).toHaveBeenCalledTimes(1), { timeout: 2_000 });
    expect(addMany.mock.calls[0][0].map((e) => e.id)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(addMany.mock.calls[0][1]).toBe(3);
  });

  it('a read right after the answer sees the entry (the waiting results are written first)', async () => {
    listener(finished(1));
    expect(await history.get('r-1')).toMatchObject({ id: 'r-1', task: 'detect', summary: '1 bus', width: 810, height: 1080, has_preview: true, has_thumbnail: true });
    listener(finished(2, { kind: 'job' }));
    expect((await history.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['r-2', 'r-1']);
    listener(finished(3));
    expect((await history.facets()).labels).toEqual(['bus']);
    listener(finished(4));
    const preview = await history.image('r-4', 'preview');
    expect((await sharp(preview).metadata()).width).toBe(480);
    listener(finished(5));
    await history.delete('r-5');
    // Trimmed to the newest 3 when r-5 was written, then r-5 deleted.
    expect((await history.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['r-4', 'r-3']);
  });

  it('loses nothing on a clean shutdown: idle() writes what waits, and no write comes after', async () => {
    const events: string[] = [];
    history.watch((event) => events.push(event.type === 'history' ? event.entry.id : 'job'));
    listener(finished(1));
    listener(finished(2));
    await history.idle();
    // Straight from the store, not through the service's read-through.
    expect((await store.list({ limit: 10 })).items.map((i) => i.id)).toEqual(['r-2', 'r-1']);
    expect(events).toEqual(['r-1', 'r-2']);
    const addMany = vi.spyOn(store, 'addMany');
    await new Promise((done) => setTimeout(done, 250));
    expect(addMany).not.toHaveBeenCalled();
  });

  it('makes the preview and thumbnail on first look, once, from the kept bytes, and keeps only them', async () => {
    listener(finished(1));
    await history.idle();
    expect(thumbnails).not.toHaveBeenCalled();
    expect(await store.source('r-1')).toBeDefined();
    // The dashboard asks for both at once: one decode.
    const [thumbnail, preview] = await Promise.all([history.image('r-1', 'thumbnail'), history.image('r-1', 'preview')]);
    expect(thumbnails).toHaveBeenCalledTimes(1);
    expect(Math.max((await sharp(thumbnail).metadata()).width!, (await sharp(thumbnail).metadata()).height!)).toBe(200);
    expect((await sharp(preview).metadata()).height).toBe(640);
    expect(await store.source('r-1')).toBeUndefined();
    await history.image('r-1', 'preview');
    expect(thumbnails).toHaveBeenCalledTimes(1);
  });

  it('records an unreadable image without images, and answers 404 for them', async () => {
    listener(finished(1, { image: { bytes: Buffer.from('not an image') } }));
    expect(await history.get('r-1')).toMatchObject({ has_preview: false, has_thumbnail: false });
    await expect(history.image('r-1', 'preview')).rejects.toMatchObject({ code: 'history_not_found' });
    expect(thumbnails).not.toHaveBeenCalled();
  });

  it('ignores failed synchronous requests, keeps failed jobs', async () => {
    listener(finished(1, { result: undefined, error: { code: 'invalid_image', message: 'bad' } }));
    listener(finished(2, { kind: 'job', result: undefined, error: { code: 'model_failed', message: 'boom' } }));
    expect((await history.list({ limit: 10 })).items.map((i) => [i.id, i.status, i.summary])).toEqual([['r-2', 'failed', 'boom']]);
  });
});
