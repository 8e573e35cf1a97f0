import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { IMAGES_DIR } from '../../test/helpers.js';
import { letterboxImage } from './letterbox.js';
import { makeThumbnails, thumbnailsFromPixels, type PreviewSource } from './thumbnail.js';

const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const MAX_PIXELS = 50_000_000;

async function letterboxed(side: number): Promise<PreviewSource> {
  const { data, width, height, geometry: g } = await letterboxImage(bus, side, side, 114, MAX_PIXELS);
  return { data, width: side, height: side, sourceWidth: width, sourceHeight: height, region: { left: g.padLeft, top: g.padTop, width: g.resizedWidth, height: g.resizedHeight } };
}

/** Mean absolute difference per channel value between two JPEGs of the same size. */
async function meanDifference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((jpeg) => sharp(jpeg).raw().toBuffer()));
  expect(x.length).toBe(y.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
  return sum / x.length;
}

describe('thumbnailsFromPixels', () => {
  it('cuts the preview from a 640 letterbox without its padding, matching a preview decoded from the file', async () => {
    const made = await thumbnailsFromPixels(await letterboxed(640));
    const decoded = await makeThumbnails(bus, { maxPixels: MAX_PIXELS });
    expect(made).toBeDefined();
    expect({ width: made!.width, height: made!.height }).toEqual({ width: 810, height: 1080 });
    for (const which of ['preview', 'thumbnail'] as const) {
      const [a, b] = await Promise.all([made![which], decoded[which]].map((jpeg) => sharp(jpeg).metadata()));
      expect([a.width, a.height]).toEqual([b.width, b.height]);
    }
    // Same picture: the padding (grey 114) is not in it, and only resampling and JPEG noise differ.
    expect(await meanDifference(made!.preview, decoded.preview)).toBeLessThan(6);
  });

  it('declines a region smaller than the preview should be, so the caller decodes the file', async () => {
    expect(await thumbnailsFromPixels(await letterboxed(320))).toBeUndefined();
    // A smaller preview asked for fits in the same region.
    const small = await thumbnailsFromPixels(await letterboxed(320), { previewSide: 320, thumbnailSide: 100 });
    expect((await sharp(small!.preview).metadata()).height).toBe(320);
  });
});
