/**
 * The history's thumbnail helper (see thumbnailer.ts): lowest CPU priority, one image at a time,
 * exits with its parent.
 */
import { setPriority } from 'node:os';
import sharp from 'sharp';
import { makeThumbnails } from '../vision/thumbnail.js';
import type { ThumbnailReply, ThumbnailRequest } from './thumbnailer.js';

// Set before sharp starts its threads, which inherit the priority of the thread that creates them.
try {
  setPriority(19);
} catch {
  // Not permitted here (some containers): the previews still work, at normal priority.
}
sharp.concurrency(1);

process.on('disconnect', () => process.exit(0));
process.on('message', (request: ThumbnailRequest) => {
  makeThumbnails(request.bytes, request.options).then(
    (thumbnails) => process.send?.({ id: request.id, thumbnails } satisfies ThumbnailReply),
    (error: unknown) => process.send?.({ id: request.id, error: (error as Error)?.message ?? String(error) } satisfies ThumbnailReply),
  );
});
