import type { Redis } from 'ioredis';
import type { BlobStore } from '../blobs.js';

/**
 * Blobs in Redis with a time to live: the images of synchronous requests on their way to a worker
 * in distributed mode. They are wanted for seconds; the TTL bounds what a crash can leave behind.
 */
export class RedisBlobStore implements BlobStore {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlMs: number) {}

  private key(key: string): string {
    return `${this.prefix}:blob:${key}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.redis.set(this.key(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'PX', this.ttlMs);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.key(key))) ?? undefined;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
