import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImageFrames, sendImage } from './image-pipe.js';

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
