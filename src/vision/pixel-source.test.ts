import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { shorterCropGeometry, shorterCropImage } from './crop.js';
import { decodeWhole, fitsFromWhole, letterboxGeometry, letterboxImage, WHOLE_DECODE_MAX_PIXELS, type FitPlan } from './letterbox.js';
import { resizeImage } from './resize.js';

const images = new URL('../../../shared/images/', import.meta.url);
const bus = readFileSync(new URL('bus.jpg', images));
const chelsea = readFileSync(new URL('misc/chelsea.png', images));

/** The plans image-tensor.ts uses: resnet18's crop (no fast shrink), a letterbox, a stretch. */
const crop256: FitPlan = {
  resizeTo: (w, h) => {
    const g = shorterCropGeometry(w, h, 256, 224, 224);
    return { width: g.resizedWidth, height: g.resizedHeight };
  },
  fastShrinkOnLoad: false,
};
const letterbox = (side: number): FitPlan => ({
  resizeTo: (w, h) => {
    const g = letterboxGeometry(w, h, side, side);
    return { width: g.resizedWidth, height: g.resizedHeight };
  },
});
const stretch = (side: number): FitPlan => ({ resizeTo: () => ({ width: side, height: side }) });

const same = (a: Buffer, b: Buffer) => Buffer.compare(a, b) === 0;

/**
 * A model input fitted from the whole image decoded once (what a worker does when the history
 * wants a preview) must be the very input fitted from the file: the preview must not change results.
 */
describe('fitting a model input from decoded pixels', () => {
  it.each([['bus.jpg', bus], ['chelsea.png', chelsea]])('gives identical pixels for %s where fitsFromWhole says so', async (_name, bytes) => {
    const whole = await decodeWhole(bytes, 1e8);
    const meta = await sharp(bytes).metadata();
    expect({ width: whole.width, height: whole.height, bytes: whole.data.length }).toEqual({ width: meta.width, height: meta.height, bytes: meta.width! * meta.height! * 3 });

    expect(await fitsFromWhole(bytes, 1e8, crop256)).toBe(true);
    const crops = await Promise.all([shorterCropImage(bytes, 256, 224, 224, 1e8), shorterCropImage(whole, 256, 224, 224, 1e8)]);
    expect(crops[1].geometry).toEqual(crops[0].geometry);
    expect(same(crops[1].data, crops[0].data)).toBe(true);

    expect(await fitsFromWhole(bytes, 1e8, stretch(600))).toBe(true);
    const stretched = await Promise.all([resizeImage(bytes, 600, 600, 1e8), resizeImage(whole, 600, 600, 1e8)]);
    expect(same(stretched[1].data, stretched[0].data)).toBe(true);

    expect(await fitsFromWhole(bytes, 1e8, letterbox(640))).toBe(true);
    const boxed = await Promise.all([letterboxImage(bytes, 640, 640, 114, 1e8), letterboxImage(whole, 640, 640, 114, 1e8)]);
    expect(boxed[1].geometry).toEqual(boxed[0].geometry);
    expect(same(boxed[1].data, boxed[0].data)).toBe(true);
  });

  it('says no where sharp would shrink the file on load, and the pixels would indeed differ', async () => {
    // bus.jpg into a 320 letterbox: a 3.4× shrink, decoded at 1/2.
    expect(await fitsFromWhole(bus, 1e8, letterbox(320))).toBe(false);
    const small = await Promise.all([letterboxImage(bus, 320, 320, 114, 1e8), letterboxImage(await decodeWhole(bus, 1e8), 320, 320, 114, 1e8)]);
    expect(same(small[0].data, small[1].data)).toBe(false);

    // A phone-sized JPEG into resnet18's crop: even without fast shrink-on-load, sharp decodes at
    // 1/2 once the shrink reaches 4 (here 2160/256 ≈ 6.3).
    const large = await sharp(bus).resize(1620, 2160).jpeg({ quality: 90 }).toBuffer();
    expect(await fitsFromWhole(large, 1e8, crop256)).toBe(false);
    const crops = await Promise.all([shorterCropImage(large, 256, 224, 224, 1e8), shorterCropImage(await decodeWhole(large, 1e8), 256, 224, 224, 1e8)]);
    expect(same(crops[0].data, crops[1].data)).toBe(false);

    // A WebP is scaled on load by any shrink when fast shrink-on-load is on (the default).
    const webp = await sharp(bus).webp({ quality: 90 }).toBuffer();
    expect(await fitsFromWhole(webp, 1e8, letterbox(640))).toBe(false);
    expect(await fitsFromWhole(webp, 1e8, crop256)).toBe(true);
    const webpCrops = await Promise.all([shorterCropImage(webp, 256, 224, 224, 1e8), shorterCropImage(await decodeWhole(webp, 1e8), 256, 224, 224, 1e8)]);
    expect(same(webpCrops[0].data, webpCrops[1].data)).toBe(true);
  });

  it('says no for alpha, an EXIF rotation, 16-bit samples, other formats, undecodable bytes and very large images', async () => {
    const plan = stretch(1000); // no shrink anywhere below
    expect(await fitsFromWhole(await sharp(chelsea).ensureAlpha(0.5).png().toBuffer(), 1e8, plan)).toBe(false);
    expect(await fitsFromWhole(await sharp(bus).withMetadata({ orientation: 6 }).jpeg().toBuffer(), 1e8, plan)).toBe(false);
    expect(await fitsFromWhole(await sharp(chelsea).toColourspace('rgb16').png().toBuffer(), 1e8, plan)).toBe(false);
    expect(await fitsFromWhole(await sharp(chelsea).tiff().toBuffer(), 1e8, plan)).toBe(false);
    expect(await fitsFromWhole(Buffer.from('not an image'), 1e8, plan)).toBe(false);
    const side = Math.ceil(Math.sqrt(WHOLE_DECODE_MAX_PIXELS)) + 1;
    const huge = await sharp({ create: { width: side, height: side, channels: 3, background: '#808080' } }).png({ compressionLevel: 1 }).toBuffer();
    expect(await fitsFromWhole(huge, 1e9, stretch(side))).toBe(false);
  });

  it('refuses what it cannot decode, with the decoder reason', async () => {
    await expect(decodeWhole(Buffer.from('not an image'), 1e8)).rejects.toMatchObject({ code: 'invalid_image' });
  });
});
