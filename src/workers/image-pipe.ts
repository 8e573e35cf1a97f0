/**
 * Images travel to a model worker over a pipe of their own (fd 4), as raw frames, instead of
 * inside the IPC message: Node's `advanced` IPC serialisation copies a buffer into the V8
 * serialiser (growing it by doubling) and then once more to prefix its length, and each of those
 * copies is external memory that triggers garbage collection in the API process. Measured on
 * 487 KB JPEGs, GC was 42% of the API process's CPU per request before this.
 *
 * A frame is `id` (uint32 LE), `length` (uint32 LE), then `length` bytes. The IPC message that
 * goes with it names the id and carries `imageBytes` instead of `image`; the worker waits for
 * the frame. One pipe is FIFO and frames are written whole, so they never interleave.
 */
import type { Readable, Writable } from 'node:stream';
import type { TaskInput } from '../tasks/types.js';

/** The fd of the image pipe in the worker (after stdin, stdout, stderr and the IPC channel). */
export const IMAGE_PIPE_FD = 4;

/** Images smaller than this go inline in the IPC message: a frame would save nothing. */
const MIN_PIPED_BYTES = 64 * 1024;

/** A task input as it crosses to the worker: the image either inline or announced by size. */
export type WireInput = TaskInput & { imageBytes?: number };

/** Parent side: writes the image of `input` as frame `id` when it is worth it; returns what the IPC message carries. */
export function sendImage(pipe: Writable | null | undefined, id: number, input: TaskInput): WireInput {
  const image = input.image;
  if (!pipe || !image || image.byteLength < MIN_PIPED_BYTES) return input;
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32LE(id, 0);
  header.writeUInt32LE(image.byteLength, 4);
  pipe.cork();
  pipe.write(header);
  pipe.write(image);
  pipe.uncork();
  const { image: _inline, ...rest } = input;
  return { ...rest, imageBytes: image.byteLength };
}

/** Worker side: reassembles frames from the pipe and hands each to whoever waits for its id. */
export class ImageFrames {
  private readonly ready = new Map<number, Buffer>();
  private readonly waiting = new Map<number, (bytes: Buffer) => void>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frame?: { id: number; body: Buffer; filled: number };

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.push(chunk));
  }

  /** The image of frame `id`, once it has arrived. */
  take(id: number): Promise<Buffer> {
    const bytes = this.ready.get(id);
    if (bytes) {
      this.ready.delete(id);
      return Promise.resolve(bytes);
    }
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** The task input with its image in place: inline as sent, or from its frame. */
  async resolve(id: number, input: WireInput): Promise<TaskInput> {
    if (input.imageBytes === undefined) return input;
    const { imageBytes: _size, ...rest } = input;
    return { ...rest, image: await this.take(id) };
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (!this.frame) {
        if (this.buffered < 8) return;
        const head = this.read(8);
        // One allocation per image: the body is filled in place from the pipe's chunks.
        this.frame = { id: head.readUInt32LE(0), body: Buffer.allocUnsafe(head.readUInt32LE(4)), filled: 0 };
      }
      const frame = this.frame;
      while (frame.filled < frame.body.length && this.chunks.length) {
        const first = this.chunks[0];
        const n = Math.min(first.length, frame.body.length - frame.filled);
        first.copy(frame.body, frame.filled, 0, n);
        frame.filled += n;
        this.buffered -= n;
        if (n === first.length) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
      }
      if (frame.filled < frame.body.length) return;
      this.frame = undefined;
      const waiter = this.waiting.get(frame.id);
      if (waiter) {
        this.waiting.delete(frame.id);
        waiter(frame.body);
      } else {
        this.ready.set(frame.id, frame.body);
      }
    }
  }

  /** Takes `n` buffered bytes (only used for 8-byte headers). */
  private read(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }
}
