import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { openDatabase, type SqliteDatabase } from '../../store/sqlite/database.js';
import { SqliteVectorStore } from '../../store/sqlite/vectors.js';
import type { CompositeCall, InferenceService, TaskResult } from '../../service/inference.js';
import { SearchService } from './service.js';

let db: SqliteDatabase | undefined;
afterEach(() => db?.close());

/**
 * The paths tested here never reach the inference service (storing a result, refusing, deleting),
 * so it is left out: calling it would throw. Search by image and text is tested against a real
 * server in test/search.test.ts.
 */
function searchService() {
  db = openDatabase(':memory:');
  const store = new SqliteVectorStore(db);
  const config = loadConfig({ env: {}, overrides: { searchMaxK: 5 } });
  const service = {} as InferenceService;
  return { store, search: new SearchService({ service, store, config, log: pino({ level: 'silent' }) }) };
}

const result = (id: string, embedding: number[]): TaskResult => ({
  id, model: { alias: 'm' }, embedding, timings: { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0, queue_ms: 0, total_ms: 0 },
});
const byId = (id: string, k = 3): CompositeCall => ({ params: { id, k }, run: () => Promise.reject(new Error('not used')) });

describe('SearchService', () => {
  it('keeps a stored result normalised, with its metadata, and searches by its id', async () => {
    const { store, search } = searchService();
    expect(await search.keep(result('a', [3, 4]), { store: true, metadata: { n: 1 } })).toEqual({ stored: true });
    expect(await search.keep(result('b', [4, 3]), { store: true })).toEqual({ stored: true });
    expect(await search.keep(result('c', [1, 0]), { store: false })).toEqual({ stored: false });
    expect(await store.count()).toBe(2);
    expect([...(await store.get('a'))!.vector].map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.8]);
    const answer = await search.search(byId('a'));
    expect(answer.query).toEqual({ type: 'id', id: 'a' });
    expect(answer.results).toEqual([expect.objectContaining({ id: 'b', score: expect.closeTo(0.96, 5) })]);
  });

  it('refuses k above searchMaxK, an unknown id (404) and deletes that find nothing (404)', async () => {
    const { search } = searchService();
    await expect(search.search(byId('a', 6))).rejects.toMatchObject({ code: 'invalid_params', status: 400 });
    await expect(search.search(byId('nothing'))).rejects.toMatchObject({ code: 'embedding_not_found', status: 404 });
    await expect(search.remove('nothing')).rejects.toMatchObject({ code: 'embedding_not_found', status: 404 });
    expect(await search.forget('nothing')).toBe(false);
  });
});
