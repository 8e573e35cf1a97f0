import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageFrames, ImageSpool, readSpooled, sendImage } from './image-pipe.js';

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

describe('image pipe frames', () => {
  it('reassembles images however the pipe cuts the bytes, in any order of asking', async () => {
    const wire = new PassThrough();
    const written: Buffer[] = [];
    wire.on('data', (chunk: Buffer) => written.push(chunk));
    const images = [bytes(70_000, 1), bytes(200_000, 2), bytes(65_536, 3)];
    const sent = images.map((image, i) => sendImage(wire, i + 1, { image, text: `t${i}` }));
    for (const s of sent) expect(s).toMatchObject({ imageBytes: expect.any(Number) });
    expect(sent.every((s) => s.image === undefined)).toBe(true);
    await new Promise((done) => setImmediate(done));
    const all = Buffer.concat(written);
    expect(all.length).toBe(images.reduce((n, i) => n + 8 + i.length, 0));
    // Replay the stream in awkward pieces: 3 bytes (a header cut in two), then odd sizes.
    const replay = new PassThrough();
    const frames = new ImageFrames(replay);
    const late = frames.resolve(3, sent[2]);
    for (let at = 0, size = 3; at < all.length; at += size, size = (size * 7 + 5) % 50_000 + 1) replay.write(all.subarray(at, at + size));
    const [second, first, third] = await Promise.all([frames.resolve(2, sent[1]), frames.resolve(1, sent[0]), late]);
    expect(Buffer.compare(first.image as Buffer, images[0])).toBe(0);
    expect(Buffer.compare(second.image as Buffer, images[1])).toBe(0);
    expect(Buffer.compare(third.image as Buffer, images[2])).toBe(0);
    expect(third.text).toBe('t2');
  });

  it('keeps small images inline', () => {
    const wire = new PassThrough();
    const input = { image: bytes(1000, 4) };
    expect(sendImage(wire, 1, input)).toBe(input);
    expect(wire.read()).toBeNull();
  });
});

describe('image spool', () => {
  const roots: string[] = [];
  const root = () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-spool-test-'));
    roots.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('sends a large image as a file the worker reads once and deletes, and nothing down the pipe', () => {
    const spool = ImageSpool.open(root())!;
    const wire = new PassThrough();
    const image = bytes(300_000, 5);
    const sent = sendImage(wire, 7, { image, text: 'x' }, { spool, name: '123-7' });
    expect(sent).toMatchObject({ imageBytes: 300_000, imageFile: join(spool.dir, '123-7'), text: 'x' });
    expect(sent.image).toBeUndefined();
    expect(wire.read()).toBeNull();
    const received = readSpooled(sent as typeof sent & { imageFile: string });
    expect(Buffer.compare(received.image as Buffer, image)).toBe(0);
    expect(received).not.toHaveProperty('imageFile');
    expect(readdirSync(spool.dir)).toEqual([]);
    spool.close();
    expect(existsSync(spool.dir)).toBe(false);
  });

  it('falls back to the pipe when the file cannot be written', () => {
    const spool = ImageSpool.open(root())!;
    spool.close(); // the directory is gone: every write fails
    const wire = new PassThrough();
    const sent = sendImage(wire, 1, { image: bytes(100_000, 6) }, { spool, name: '1-1' });
    expect(sent.imageFile).toBeUndefined();
    expect(sent.imageBytes).toBe(100_000);
    expect((wire.read() as Buffer).length).toBe(100_008);
  });

  it("removes this host's spool of a process that is gone, and keeps a live one and other hosts'", () => {
    const dir = root();
    const host = hostname().replace(/[^\w.-]/g, '_');
    const dead = join(dir, `argus-images-${host}-999999999-abc`);
    const live = join(dir, `argus-images-${host}-${process.pid}-def`);
    const elsewhere = join(dir, 'argus-images-another-host-999999999-ghi');
    for (const d of [dead, live, elsewhere]) mkdirSync(d);
    const spool = ImageSpool.open(dir)!;
    expect(spool.dir.startsWith(join(dir, `argus-images-${host}-${process.pid}-`))).toBe(true);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(elsewhere)).toBe(true);
    spool.close();
  });

  it('refuses a spooled image whose size is not what was announced', () => {
    const spool = ImageSpool.open(root())!;
    const path = spool.write('1-2', bytes(70_000, 7))!;
    expect(() => readSpooled({ imageFile: path, imageBytes: 80_000 })).toThrow(/70000 bytes, not the 80000/);
    spool.close();
  });
});
