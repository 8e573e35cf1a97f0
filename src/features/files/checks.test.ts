import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES_DIR } from '../../../test/helpers.js';
import { checkUpload, extensionOf } from './checks.js';

const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const limits = { maxBytes: 1_000_000, maxPixels: 40_000_000 };
const refusal = (filename: string, bytes: Uint8Array, truncated = false) =>
  checkUpload({ filename, bytes, truncated }, limits).then(() => 'stored', (error: { code: string; status: number }) => `${error.status} ${error.code}`);

describe('checkUpload (the files API\'s uploads)', () => {
  it('reads extensions as Python\'s os.path.splitext, case-insensitively', () => {
    expect(['car.JPG', 'car.jpeg', 'a.b.png', 'car', '.jpg', '..png', 'car.'].map(extensionOf)).toEqual(['.jpg', '.jpeg', '.png', '', '', '', '.']);
  });

  it('checks in the original\'s order — name, extension, size, content — each refusal a 400', async () => {
    const big = Buffer.alloc(2_000_000, 1);
    expect(await refusal('', bus)).toBe('400 file_name_missing');
    expect(await refusal('big.gif', big)).toBe('400 file_type_not_allowed');
    expect(await refusal('big.jpg', big)).toBe('400 file_too_large');
    expect(await refusal('cut.jpg', bus.subarray(0, 1000), true)).toBe('400 file_too_large');
    expect(await refusal('text.jpg', Buffer.from('hello'))).toBe('400 file_not_an_image');
    expect(await refusal('broken.jpg', Buffer.concat([bus.subarray(0, 3), Buffer.alloc(100)]))).toBe('400 file_not_an_image');
    expect(await checkUpload({ filename: 'Car.JPEG', bytes: bus }, limits)).toEqual({ format: 'jpeg', contentType: 'image/jpeg', width: 810, height: 1080 });
    // Beyond the original: more pixels than maxPixels, read from the header, is too large as well.
    await expect(checkUpload({ filename: 'huge.jpg', bytes: bus }, { ...limits, maxPixels: 1000 })).rejects.toMatchObject({ code: 'file_too_large', message: expect.stringMatching(/810.1080/) });
  });
});
