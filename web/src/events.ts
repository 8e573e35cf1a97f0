import { useEffect, useRef, useState } from 'preact/hooks';
import { apiKey, authedFetch } from './api';

export type EventHandlers = Record<string, (data: never) => void>;

const RECONNECT_MS = 2_000;

/**
 * Reads a text/event-stream with fetch, for when an API key must be sent: EventSource cannot set
 * headers. Reconnects after a network error or the end of the stream, until `signal` aborts.
 */
async function readStream(url: string, signal: AbortSignal, onEvent: (name: string, data: string) => void, setConnected: (on: boolean) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await authedFetch(url, { signal, headers: { accept: 'text/event-stream' } });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setConnected(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) onEvent(name, data.join('\n'));
        }
      }
    } catch {
      // Network error or abort: fall through to the retry (or the loop's exit).
    }
    setConnected(false);
    if (!signal.aborted) await new Promise((resume) => setTimeout(resume, RECONNECT_MS));
  }
}

/**
 * Subscribes to GET /v1/events (server-sent events) for `topics` while the component is mounted.
 * Handlers are read at each event, so passing new closures does not reconnect. The browser's
 * EventSource reconnects by itself after a network error; `connected` says whether it is live.
 * With an API key stored, the stream is read with fetch instead, which can send the key.
 */
export function useEvents(topics: string[], handlers: EventHandlers): { connected: boolean } {
  const ref = useRef(handlers);
  ref.current = handlers;
  const [connected, setConnected] = useState(false);
  const key = topics.join(',');
  useEffect(() => {
    const url = `/v1/events?topics=${encodeURIComponent(key)}`;
    const dispatch = (name: string, data: string) => {
      const handler = ref.current[name] as ((data: unknown) => void) | undefined;
      handler?.(JSON.parse(data));
    };
    if (apiKey()) {
      const abort = new AbortController();
      void readStream(url, abort.signal, dispatch, setConnected);
      return () => abort.abort();
    }
    const source = new EventSource(url);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(source.readyState === EventSource.OPEN);
    for (const name of ['hello', 'job', 'history', 'stats', 'status']) {
      source.addEventListener(name, (event) => dispatch(name, (event as MessageEvent<string>).data));
    }
    return () => source.close();
  }, [key]);
  return { connected };
}
