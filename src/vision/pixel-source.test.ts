import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { shorterCropImage } from './crop.js';
import { decodeWhole, fitsFromWhole, letterboxImage } from './letterbox.js';
import { resizeImage } from './resize.js';

const images = new URL('../../../shared/images/', import.meta.url);
const bus = readFileSync(new URL('bus.jpg', images));
const chelsea = readFileSync(new URL('misc/chelsea.png', images));
const rotatedBus = () => sharp(bus).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
const transparent = () => sharp(chelsea).ensureAlpha(0.5).png().toBuffer();

/**
 * A model input fitted from the whole image decoded once (what a worker does when the history
 * wants a preview) must be the very input fitted from the file: the preview must not change results.
 */
describe('fitting a model input from decoded pixels', () => {
  it.each([['bus.jpg', bus], ['chelsea.png', chelsea]])('gives identical pixels for %s where fitsFromWhole says so', async (_name, bytes) => {
    const whole = await decodeWhole(bytes, 1e8);
    const meta = await sharp(bytes).metadata();
    expect({ width: whole.width, height: whole.height, bytes: whole.data.length }).toEqual({ width: meta.width, height: meta.height, bytes: meta.width! * meta.height! * 3 });

    expect(await fitsFromWhole(bytes, 224, 224, 1e8, { shrinkOnLoad: false })).toBe(true);
    const crops = await Promise.all([shorterCropImage(bytes, 256, 224, 224, 1e8), shorterCropImage(whole, 256, 224, 224, 1e8)]);
    expect(crops[1].geometry).toEqual(crops[0].geometry);
    expect(Buffer.compare(crops[1].data, crops[0].data)).toBe(0);

    expect(await fitsFromWhole(bytes, 600, 600, 1e8)).toBe(true);
    const stretched = await Promise.all([resizeImage(bytes, 600, 600, 1e8), resizeImage(whole, 600, 600, 1e8)]);
    expect(Buffer.compare(stretched[1].data, stretched[0].data)).toBe(0);

    expect(await fitsFromWhole(bytes, 640, 640, 1e8)).toBe(true);
    const boxed = await Promise.all([letterboxImage(bytes, 640, 640, 114, 1e8), letterboxImage(whole, 640, 640, 114, 1e8)]);
    expect(boxed[1].geometry).toEqual(boxed[0].geometry);
    expect(Buffer.compare(boxed[1].data, boxed[0].data)).toBe(0);
  });

  it('says no where a whole decode would fit other pixels: shrink on load, alpha, EXIF rotation', async () => {
    // bus.jpg 1080 px high into 320: libvips decodes the JPEG at 1/2, and the pixels differ.
    expect(await fitsFromWhole(bus, 320, 320, 1e8)).toBe(false);
    expect(await fitsFromWhole(bus, 320, 320, 1e8, { shrinkOnLoad: false })).toBe(true);
    const [fromFile, fromWhole] = await Promise.all([letterboxImage(bus, 320, 320, 114, 1e8), letterboxImage(await decodeWhole(bus, 1e8), 320, 320, 114, 1e8)]);
    expect(Buffer.compare(fromFile.data, fromWhole.data)).not.toBe(0);
    // sharp resizes an image with alpha premultiplied, and a rotated one before rotating it.
    expect(await fitsFromWhole(await transparent(), 224, 224, 1e8, { shrinkOnLoad: false })).toBe(false);
    expect(await fitsFromWhole(await rotatedBus(), 640, 640, 1e8)).toBe(false);
    expect(await fitsFromWhole(Buffer.from('not an image'), 224, 224, 1e8)).toBe(false);
  });

  it('refuses what it cannot decode, with the decoder reason', async () => {
    await expect(decodeWhole(Buffer.from('not an image'), 1e8)).rejects.toMatchObject({ code: 'invalid_image' });
  });
});
