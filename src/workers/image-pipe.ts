/**
 * How an image gets to a model worker without going through the IPC message: Node's `advanced`
 * IPC serialisation copies a buffer into the V8 serialiser (growing it by doubling) and then once
 * more to prefix its length, and each of those copies is external memory that triggers garbage
 * collection in the API process (measured on 487 KB JPEGs: 42% of its CPU per request).
 *
 * 1. Where a RAM-backed directory exists (Linux `/dev/shm`), the API process writes the image to
 *    a file there and the message carries its path; the worker reads and deletes it. One write and
 *    one read, whatever the API process is doing meanwhile.
 * 2. Otherwise, or when that write fails (a full or missing tmpfs), over a pipe of the worker's
 *    own (fd 4), as raw frames: `id` (uint32 LE), `length` (uint32 LE), then `length` bytes. The
 *    message carries `imageBytes`; the worker waits for the frame. One pipe is FIFO and frames are
 *    written whole, so they never interleave. A pipe holds 64 KiB, so a 487 KB image needs eight
 *    refills, each one an event-loop turn of the API process: under load a batch of eight images
 *    took ~50 ms to arrive, time the worker sat idle (why the file comes first).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { processAlive } from '../processes.js';
import type { TaskInput } from '../tasks/types.js';

/** The fd of the image pipe in the worker (after stdin, stdout, stderr and the IPC channel). */
export const IMAGE_PIPE_FD = 4;

/** Images smaller than this go inline in the IPC message: a frame would save nothing. */
const MIN_PIPED_BYTES = 64 * 1024;

/** A task input as it crosses to the worker: the image inline, in a spool file, or announced by size on the pipe. */
export type WireInput = TaskInput & { imageBytes?: number; imageFile?: string };

/** Where spool directories live: RAM-backed, so a write and a read are two copies in memory. */
const SPOOL_ROOT = '/dev/shm';
const SPOOL_PREFIX = 'argus-images-';

/**
 * A private directory of image files on tmpfs, for this process's workers. It goes when the
 * process exits; one left by a process that was killed is removed by the next one to open a spool.
 */
export class ImageSpool {
  private constructor(readonly dir: string) {}

  /** A new spool under `root`, or undefined where there is none (not Linux, no tmpfs there). */
  static open(root = SPOOL_ROOT): ImageSpool | undefined {
    if (process.platform !== 'linux' || !existsSync(root)) return undefined;
    try {
      removeAbandoned(root);
      // mkdtemp creates the directory 0700: other users cannot read the images.
      const spool = new ImageSpool(mkdtempSync(join(root, `${spoolPrefix()}${process.pid}-`)));
      process.once('exit', () => spool.close());
      return spool;
    } catch (error) {
      process.emitWarning(`Argus: no image spool in ${root} (${(error as Error).message}); images go to model workers over a pipe.`);
      return undefined;
    }
  }

  /** Writes `bytes` as `name`; the file's path, or undefined when it could not be written. */
  write(name: string, bytes: Uint8Array): string | undefined {
    const path = join(this.dir, name);
    try {
      writeFileSync(path, bytes, { flag: 'wx' });
      return path;
    } catch (error) {
      // A partly written file (a full tmpfs) goes; one that was there already is not ours to delete.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') discardSpooled(path);
      return undefined;
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The prefix of this host's spool directories. The host name is in it because containers that
 * share /dev/shm can each have a process with the same pid: one must never take another's spool
 * for abandoned.
 */
function spoolPrefix(): string {
  return `${SPOOL_PREFIX}${hostname().replace(/[^\w.-]/g, '_')}-`;
}

/** Removes this user's spool directories on this host whose process is gone (killed before it could clean up). */
function removeAbandoned(root: string): void {
  const prefix = spoolPrefix();
  for (const name of readdirSync(root)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    const dir = join(root, name);
    try {
      if (statSync(dir).uid === process.getuid?.()) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours after all, or gone already: leave it.
    }
  }
}

/** Deletes a spool file a worker will not read (it died first); quiet when it is already gone. */
export function discardSpooled(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already read and deleted by the worker, or never written.
  }
}

let processSpool: ImageSpool | null | undefined;

/** This process's spool, opened on first use; undefined where there can be none. */
export function imageSpool(): ImageSpool | undefined {
  if (processSpool === undefined) processSpool = ImageSpool.open() ?? null;
  return processSpool ?? undefined;
}

/**
 * Parent side: moves the image of `input` out of the message when it is worth it, into a spool
 * file named `name` or else frame `id` on the pipe; returns what the IPC message carries.
 */
export function sendImage(pipe: Writable | null | undefined, id: number, input: TaskInput, spool?: { spool: ImageSpool; name: string }): WireInput {
  const image = input.image;
  if (!image || image.byteLength < MIN_PIPED_BYTES) return input;
  const { image: _inline, ...rest } = input;
  const file = spool?.spool.write(spool.name, image);
  if (file) return { ...rest, imageBytes: image.byteLength, imageFile: file };
  if (!pipe) return input;
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32LE(id, 0);
  header.writeUInt32LE(image.byteLength, 4);
  pipe.cork();
  pipe.write(header);
  pipe.write(image);
  pipe.uncork();
  return { ...rest, imageBytes: image.byteLength };
}

/** Worker side: the image of a spooled input, read and deleted (deleted even when the read fails). */
export function readSpooled(input: WireInput & { imageFile: string }): TaskInput {
  const { imageBytes, imageFile, ...rest } = input;
  let image: Buffer;
  try {
    image = readFileSync(imageFile);
  } finally {
    discardSpooled(imageFile);
  }
  // The path stays out of the message: it would reach the client in the error.
  if (image.length !== imageBytes) throw new Error(`the spooled image has ${image.length} bytes, not the ${imageBytes} sent`);
  return { ...rest, image };
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
