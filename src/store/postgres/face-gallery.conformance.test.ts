import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/services.js';
import { describeFaceGalleryStore } from '../face-gallery.conformance.js';
import { openPostgres } from './database.js';
import { PostgresFaceGalleryStore } from './face-gallery.js';

// A real PostgreSQL database, created for this run and dropped after it; each test starts from an
// empty table, as a fresh deployment would.
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describeFaceGalleryStore('PostgreSQL', async () => {
  const pool = await openPostgres(database.url, { max: 2 });
  await pool.query('TRUNCATE face_gallery');
  return { store: new PostgresFaceGalleryStore(pool), close: () => pool.end() };
});
