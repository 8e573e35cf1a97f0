import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { BackgroundThumbnailer } from './thumbnailer.js';

const bus = readFileSync(resolve(import.meta.dirname, '../../../shared/images/bus.jpg'));
const thumbnailer = new BackgroundThumbnailer();
afterAll(() => thumbnailer.close());

describe('BackgroundThumbnailer', () => {
  it('makes the preview and thumbnail in a helper process at the lowest CPU priority', async () => {
    const made = await thumbnailer.make(bus, { maxPixels: 40_000_000 });
    expect([made.width, made.height]).toEqual([810, 1080]);
    const preview = await sharp(made.preview).metadata();
    expect([preview.format, preview.width, preview.height]).toEqual(['jpeg', 480, 640]);
    expect((await sharp(made.thumbnail).metadata()).height).toBe(200);
    expect(thumbnailer.pid).not.toBe(process.pid);
    expect(getPriority(thumbnailer.pid!)).toBe(19);
  });

  it('refuses what is not an image, or too large, with the reason, and keeps working', async () => {
    await expect(thumbnailer.make(Buffer.from('not an image'), { maxPixels: 40_000_000 })).rejects.toThrow(/unsupported image format/);
    await expect(thumbnailer.make(bus, { maxPixels: 1000 })).rejects.toThrow(/pixel limit/);
    expect((await thumbnailer.make(bus, { maxPixels: 40_000_000 })).width).toBe(810);
  });

  it('fails the request a dying helper had, and starts a new helper for the next', async () => {
    const first = thumbnailer.pid!;
    const doomed = thumbnailer.make(bus, { maxPixels: 40_000_000 });
    process.kill(first, 'SIGKILL');
    await expect(doomed).rejects.toThrow(/thumbnail helper was killed by SIGKILL/);
    expect((await thumbnailer.make(bus, { maxPixels: 40_000_000 })).width).toBe(810);
    expect(thumbnailer.pid).not.toBe(first);
  });
});
