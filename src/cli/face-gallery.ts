import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createArgus } from '../app/argus.js';
import { embeddedStores, sharedStores } from '../app/stores.js';
import type { Config } from '../config/load.js';
import { FaceGalleryService } from '../features/faces/gallery.js';
import type { FaceGalleryStore } from '../store/face-gallery.js';
import { openPostgres } from '../store/postgres/database.js';
import { openDatabase } from '../store/sqlite/database.js';
import { configFrom } from './options.js';

/**
 * The gallery a server with this config uses: its data directory's SQLite database (which a
 * running server may hold open too: WAL allows it), or PostgreSQL with --db.
 */
async function openGallery(config: Config): Promise<{ store: FaceGalleryStore; close(): Promise<void> }> {
  if (config.dbUrl) {
    const pool = await openPostgres(config.dbUrl, { max: 2 });
    return { store: sharedStores(pool).gallery, close: () => pool.end() };
  }
  const db = openDatabase(join(config.dataDir, 'argus.db'));
  return {
    store: embeddedStores(db, config).gallery,
    async close() {
      db.close();
    },
  };
}

/** Runs `work` with the gallery service; the faces model runs locally (one-shot), as `argus faces IMAGE` does. */
async function withGallery<T>(self: Command, work: (gallery: FaceGalleryService) => Promise<T>): Promise<T> {
  const config = configFrom(self, { logLevel: self.optsWithGlobals().logLevel ?? 'warn' });
  const { store, close } = await openGallery(config);
  const argus = await createArgus(config, { mode: 'oneshot' });
  try {
    return await work(new FaceGalleryService({ service: argus.service, store, log: argus.log }));
  } finally {
    await argus.close();
    await close();
  }
}

/** `--json`, given after the subcommand: commander hands it to `argus faces`, which has the same option. */
const json = (self: Command): boolean => self.optsWithGlobals<{ json?: boolean }>().json === true;

const print = (lines: string[]): void => {
  process.stdout.write(`${lines.join('\n')}\n`);
};

/**
 * `argus faces register NAME IMAGE…`, `argus faces list`, `argus faces delete NAME`: the face gallery
 * of the server that uses the same --data-dir (or --db). What the CLI registers is unowned, as
 * what an admin key registers: admins see it; inference keys see only their own people.
 */
export function addFaceGalleryCommands(faces: Command): Command {
  faces.command('register')
    .description('add a person to the face gallery (or add faces to them): the largest face of each image')
    .argument('<name>', "the person's name")
    .argument('<images...>', 'photos of the person')
    .option('-m, --model <alias>', 'faces model (default: yunet)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, images: string[], options: { model?: string }, self: Command) => {
      const sources = await Promise.all(images.map(async (path) => ({ bytes: await readFile(path), filename: path })));
      const result = await withGallery(self, (gallery) => gallery.register({ name, images: sources, model: options.model }));
      if (json(self)) return print([JSON.stringify(result, null, 2)]);
      print([
        `${result.name}: ${result.existed ? 'added' : 'registered with'} ${result.added.length} face(s), ${result.faces} in all`,
        ...result.skipped.map((s) => `  skipped ${images[s.image]}: ${s.reason}`),
      ]);
    });
  faces.command('list')
    .description('list the people of the face gallery')
    .option('--json', 'print the people as JSON')
    .action(async (_options: unknown, self: Command) => {
      const people = await withGallery(self, (gallery) => gallery.people());
      if (json(self)) return print([JSON.stringify(people, null, 2)]);
      print(people.length === 0 ? ['The face gallery is empty.'] : people.map((p) => `${p.name}: ${p.faces.length} face(s)${p.owner ? ` (key ${p.owner})` : ''}`));
    });
  faces.command('delete')
    .description('delete a person and all their faces from the face gallery')
    .argument('<name>', "the person's name")
    .action(async (name: string, _options: unknown, self: Command) => {
      const deleted = await withGallery(self, async (gallery) => {
        await gallery.person(name); // 404 (exit 2) for nobody of that name
        return gallery.deletePerson(name);
      });
      print([`${name}: deleted ${deleted} face(s)`]);
    });
  return faces;
}
