import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers.js';
import { describeFaceGalleryStore } from '../face-gallery.conformance.js';
import { SqliteFaceGalleryStore } from './face-gallery.js';
import { openDatabase } from './database.js';

describeFaceGalleryStore('embedded (SQLite)', async () => {
  const dir = tempDir('argus-gallery-');
  const db = openDatabase(join(dir, 'argus.db'));
  return {
    store: new SqliteFaceGalleryStore(db),
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
