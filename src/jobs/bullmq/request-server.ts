import type { Catalog } from '../../models/catalog.js';
import type { BlobStore } from '../../store/blobs.js';
import { errors } from '../../errors.js';
import type { Dispatcher } from '../../dispatch/types.js';
import type { RequestData } from './dispatcher.js';
import { encodeError, type BullmqTransport } from './transport.js';

/**
 * The worker-node side of synchronous requests: fetches the request's images by key, runs it on
 * this node's workers, and returns the outcome (BullMQ carries it back to the waiting API node).
 * Errors travel as JSON in the failure reason, so the client gets the same code and status.
 */
export function serveRequests(transport: BullmqTransport, catalog: Catalog, blobs: BlobStore, local: Dispatcher): void {
  const fetch = async (key: string) => {
    const bytes = await blobs.get(key);
    if (!bytes) throw errors.internal(`The request's image (${key}) expired before a worker took it.`);
    return bytes;
  };
  transport.handle('request', async (raw) => {
    const data = raw as RequestData;
    // The API node gave up on this copy (its first node died) and sent it again: nobody waits for it.
    if (data.abandoned) return { abandoned: true };
    try {
      return await local.execute({
        manifest: catalog.require(data.model),
        params: data.params,
        input: {
          image: data.imageKey ? await fetch(data.imageKey) : undefined,
          images: data.imageKeys ? await Promise.all(data.imageKeys.map(fetch)) : undefined,
          text: data.text,
        },
        priority: data.priority,
      });
    } catch (error) {
      throw new Error(encodeError(error));
    }
  });
}
