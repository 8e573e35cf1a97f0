import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { shorterCropGeometry, shorterCropImage } from './crop.js';

describe('shorterCropGeometry (torchvision Resize(256) + CenterCrop(224))', () => {
  it('truncates the longer side and rounds the crop offset half to even, as torchvision does', () => {
    // bus.jpg: 810×1080 → 256×341; (341 − 224) / 2 = 58.5 → 58 (Python's round), not 59.
    expect(shorterCropGeometry(810, 1080, 256, 224, 224)).toMatchObject({ resizedWidth: 256, resizedHeight: 341, left: 16, top: 58 });
    // zidane.jpg: 1280×720 → 455×256 (455.1 truncated); 115.5 → 116.
    expect(shorterCropGeometry(1280, 720, 256, 224, 224)).toMatchObject({ resizedWidth: 455, resizedHeight: 256, left: 116, top: 16 });
    // chelsea.png: 451×300 → 384×256 (384.85 truncated).
    expect(shorterCropGeometry(451, 300, 256, 224, 224)).toMatchObject({ resizedWidth: 384, resizedHeight: 256, left: 80, top: 16 });
    expect(shorterCropGeometry(512, 512, 256, 224, 224)).toMatchObject({ resizedWidth: 256, resizedHeight: 256, left: 16, top: 16 });
  });

  it('refuses a crop larger than the resized image', () => {
    expect(() => shorterCropGeometry(100, 100, 200, 224, 224)).toThrow(RangeError);
  });
});

describe('shorterCropImage', () => {
  it('returns the centre of the resized image at the crop size, with the source size', async () => {
    // Left half black, right half white, 400×200: after resize to 512×256 the 224² centre crop
    // straddles the edge, so its left columns are dark and its right columns bright.
    const png = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 200, height: 200, channels: 3, background: '#fff' } }, left: 200, top: 0 }])
      .png()
      .toBuffer();
    const result = await shorterCropImage(png, 256, 224, 224, 1e8);
    expect(result).toMatchObject({ width: 400, height: 200, geometry: { resizedWidth: 512, resizedHeight: 256, left: 144, top: 16 } });
    expect(result.data.length).toBe(224 * 224 * 3);
    const pixel = (x: number, y: number) => result.data[(y * 224 + x) * 3];
    expect(pixel(0, 100)).toBe(0);
    expect(pixel(223, 100)).toBe(255);
  });

  it('says why an undecodable image fails', async () => {
    await expect(shorterCropImage(Buffer.from('not an image'), 256, 224, 224, 1e8)).rejects.toMatchObject({ code: 'invalid_image' });
  });
});
