import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ArgusError } from '../errors.js';
import { cleanSharpMessage, probeImage, sniffImageFormat } from './image.js';

const IMAGES_DIR = join(process.env.ARGUS_MODELS_DIR ?? '../shared/models', '..', 'images');
const bus = readFileSync(join(IMAGES_DIR, 'bus.jpg'));
const zidane = readFileSync(join(IMAGES_DIR, 'zidane.jpg'));
const LIMIT = { maxPixels: 40_000_000 };

const red = () => sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } });

/** CRC-32 (IEEE, reflected, polynomial 0xEDB88320) as PNG chunks use it. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** A PNG that is only a header: signature, IHDR (8-bit RGB) and, unless `bare`, IEND; no pixel data at all. */
function headerOnlyPng(width: number, height: number, bare = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const end = bare ? [] : [pngChunk('IEND', Buffer.alloc(0))];
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), ...end]);
}

async function rejection(promise: Promise<unknown>): Promise<ArgusError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ArgusError);
  return error as ArgusError;
}

describe('crc32 (test helper)', () => {
  it('matches known PNG chunk CRCs', () => {
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('sniffImageFormat', () => {
  it('recognises JPEG and PNG', async () => {
    expect(sniffImageFormat(bus)).toBe('jpeg');
    expect(sniffImageFormat(await red().png().toBuffer())).toBe('png');
  });

  it('recognises WebP, GIF and TIFF made by sharp', async () => {
    expect(sniffImageFormat(await red().webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(await red().gif().toBuffer())).toBe('gif');
    expect(sniffImageFormat(await red().tiff().toBuffer())).toBe('tiff');
  });

  it('recognises both TIFF byte orders and both GIF versions from magic bytes', () => {
    expect(sniffImageFormat(Uint8Array.from([0x49, 0x49, 0x2a, 0x00]))).toBe('tiff');
    expect(sniffImageFormat(Uint8Array.from([0x4d, 0x4d, 0x00, 0x2a]))).toBe('tiff');
    expect(sniffImageFormat(Buffer.from('GIF87a'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('GIF89a'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('GIF88a'))).toBeUndefined();
  });

  it('refuses text, SVG, PDF, RIFF that is not WebP, and truncated magic', () => {
    expect(sniffImageFormat(Buffer.from('hello, world'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<?xml version="1.0"?><svg></svg>'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('%PDF-1.7\n'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});

describe('probeImage', () => {
  it('reads format and size of the real images', async () => {
    expect(await probeImage(bus, LIMIT)).toEqual({ format: 'jpeg', width: 810, height: 1080 });
    expect(await probeImage(zidane, LIMIT)).toEqual({ format: 'jpeg', width: 1280, height: 720 });
  });

  it('reads every supported format', async () => {
    expect(await probeImage(await red().png().toBuffer(), LIMIT)).toEqual({ format: 'png', width: 4, height: 4 });
    expect(await probeImage(await red().webp().toBuffer(), LIMIT)).toEqual({ format: 'webp', width: 4, height: 4 });
    expect(await probeImage(await red().gif().toBuffer(), LIMIT)).toEqual({ format: 'gif', width: 4, height: 4 });
    expect(await probeImage(await red().tiff().toBuffer(), LIMIT)).toEqual({ format: 'tiff', width: 4, height: 4 });
  });

  it('reports the size after EXIF orientation', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#00f' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    expect(await probeImage(jpeg, LIMIT)).toEqual({ format: 'jpeg', width: 20, height: 40 });
  });

  it('keeps the size of an image with a non-rotating orientation', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#00f' } })
      .jpeg()
      .withMetadata({ orientation: 3 })
      .toBuffer();
    expect(await probeImage(jpeg, LIMIT)).toEqual({ format: 'jpeg', width: 40, height: 20 });
  });

  it('refuses a 50000×50000 PNG header with 413 before decoding', async () => {
    const png = headerOnlyPng(50_000, 50_000);
    expect(png.length).toBe(8 + 25 + 12);
    const error = await rejection(probeImage(png, LIMIT));
    expect(error.code).toBe('image_too_large');
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ width: 50_000, height: 50_000, max_pixels: 40_000_000 });
    expect(error.message).toContain('50000×50000');
  });

  it('refuses a bare signature + IHDR claiming 50000×50000 with 413', async () => {
    const png = headerOnlyPng(50_000, 50_000, true);
    expect(png.length).toBe(8 + 25);
    const error = await rejection(probeImage(png, LIMIT));
    expect(error.code).toBe('image_too_large');
    expect(error.status).toBe(413);
  });

  it('reads the size from the header alone (no pixel data needed)', async () => {
    expect(await probeImage(headerOnlyPng(640, 480, true), LIMIT)).toEqual({ format: 'png', width: 640, height: 480 });
    expect(await probeImage(headerOnlyPng(5000, 5000), LIMIT)).toEqual({ format: 'png', width: 5000, height: 5000 });
  });

  it('accepts exactly maxPixels and refuses one pixel fewer', async () => {
    expect(await probeImage(bus, { maxPixels: 810 * 1080 })).toMatchObject({ width: 810, height: 1080 });
    const error = await rejection(probeImage(bus, { maxPixels: 810 * 1080 - 1 }));
    expect(error.code).toBe('image_too_large');
    expect(error.status).toBe(413);
  });

  it('refuses text and SVG as unsupported_media_type (415)', async () => {
    for (const text of ['just some text', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>']) {
      const error = await rejection(probeImage(Buffer.from(text), LIMIT));
      expect(error.code).toBe('unsupported_media_type');
      expect(error.status).toBe(415);
    }
  });

  it('refuses empty bytes as missing_image (400)', async () => {
    const error = await rejection(probeImage(new Uint8Array(0), LIMIT));
    expect(error.code).toBe('missing_image');
    expect(error.status).toBe(400);
  });

  it('refuses a JPEG magic with a broken header as invalid_image (422)', async () => {
    const error = await rejection(probeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0x00, 0x01, 0x02, 0x03]), LIMIT));
    expect(error.code).toBe('invalid_image');
    expect(error.status).toBe(422);
  });
});

describe('cleanSharpMessage', () => {
  it('collapses whitespace, trims and caps at 300 characters', () => {
    expect(cleanSharpMessage(new Error('  VipsJpeg: premature end\n of input\n'))).toBe('VipsJpeg: premature end of input');
    expect(cleanSharpMessage('plain string')).toBe('plain string');
    expect(cleanSharpMessage(new Error('x'.repeat(400))).length).toBe(300);
  });
});
