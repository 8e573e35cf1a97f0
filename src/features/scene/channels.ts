/** A message on a channel: a named event and its JSON-ready data (sent as server-sent events). */
export interface ChannelMessage {
  event: string;
  data: unknown;
}

export type Listener = (message: ChannelMessage) => void;

/**
 * In-process publish/subscribe by key: a running video job publishes its frames under the key its
 * request was given, and the HTTP request that asked to stream them listens. A listener that
 * throws is dropped rather than allowed to break the publisher.
 */
export class Channels {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.listeners.delete(key);
    };
  }

  publish(key: string | undefined, message: ChannelMessage): void {
    if (!key) return;
    for (const listener of [...(this.listeners.get(key) ?? [])]) {
      try {
        listener(message);
      } catch {
        this.listeners.get(key)?.delete(listener);
      }
    }
  }

  /** Closes every channel: each listener gets `message` (e.g. the server is shutting down), then is dropped. */
  closeAll(message: ChannelMessage): void {
    for (const key of [...this.listeners.keys()]) this.publish(key, message);
    this.listeners.clear();
  }
}
