import { fork, type ChildProcess } from 'node:child_process';
import { childModule } from '../child-module.js';
import type { ThumbnailOptions, Thumbnails } from '../vision/thumbnail.js';

/** Parent → helper: make the thumbnails of one image. */
export interface ThumbnailRequest {
  id: number;
  bytes: Uint8Array;
  options: ThumbnailOptions;
}

/** Helper → parent: the thumbnails, or why there are none. */
export type ThumbnailReply = { id: number; thumbnails: Thumbnails } | { id: number; error: string };

interface Pending {
  resolve: (value: Thumbnails) => void;
  reject: (error: Error) => void;
}

/**
 * Makes the history's previews in a helper process that runs at the lowest CPU priority (nice
 * 19), so they use only CPU the model workers leave idle. Made in the API process, a 640 px
 * preview of bus.jpg costs ~35 ms of CPU per request (mostly the full JPEG decode), which on a
 * 2-core machine the model workers then do not get. The helper starts on first use and again
 * after it dies; a request it was working on fails (its entry is kept without images).
 */
export class BackgroundThumbnailer {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  make(bytes: Uint8Array, options: ThumbnailOptions): Promise<Thumbnails> {
    if (this.closed) return Promise.reject(new Error('the thumbnailer is closed'));
    const child = (this.child ??= this.start());
    const id = this.nextId++;
    return new Promise<Thumbnails>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only while a request is out does the helper keep the parent's event loop alive.
      child.channel?.ref();
      child.send({ id, bytes, options } satisfies ThumbnailRequest, (error) => {
        if (error) this.fail(id, error);
      });
    });
  }

  /** The helper's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the helper; pending requests fail. */
  close(): void {
    this.closed = true;
    this.child?.kill();
    this.child = undefined;
  }

  private start(): ChildProcess {
    const entry = childModule('workers/thumbnailer-entry');
    const child = fork(entry.path, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (reply: ThumbnailReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) child.channel?.unref();
      if ('error' in reply) pending.reject(new Error(reply.error));
      else pending.resolve({ ...reply.thumbnails, preview: Buffer.from(reply.thumbnails.preview), thumbnail: Buffer.from(reply.thumbnails.thumbnail) });
    });
    const died = (reason: string) => {
      if (this.child === child) this.child = undefined;
      for (const id of [...this.pending.keys()]) this.fail(id, new Error(`the thumbnail helper ${reason}`));
    };
    child.on('exit', (code, signal) => died(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.on('error', (error) => died(`failed: ${error.message}`));
    child.channel?.unref();
    return child;
  }

  private fail(id: number, error: Error): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.reject(error);
  }
}
