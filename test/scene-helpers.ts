import { readdirSync, readFileSync } from 'node:fs';
import { locateFfmpeg } from '../src/features/scene/ffmpeg-locate.js';

/** Helpers for the scene tests: reading server-sent events from a fetch response. */

export interface ServerEvent {
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/**
 * Reads named server-sent events from a response as they arrive, until `until` returns true for
 * one (that one included), the stream ends, or `timeoutMs` passes (then it throws).
 */
export async function readEvents(response: Response, until: (event: ServerEvent, all: ServerEvent[]) => boolean = () => false, timeoutMs = 120_000): Promise<ServerEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: ServerEvent[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no end of the event stream within ${timeoutMs} ms (${events.length} events)`)), Math.max(1, deadline - Date.now())).unref());
      const { done, value } = await Promise.race([reader.read(), timer]);
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!name || data === undefined) continue; // keep-alive comments
        const event = { event: name, data: JSON.parse(data) };
        events.push(event);
        if (until(event, events)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Pids of live processes whose command line contains `needle` (e.g. ffmpeg decoding one URL). */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // A zombie has an empty command line: it has exited, only its parent has not reaped it yet.
      if (cmdline.includes(needle) && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) pids.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return pids;
}

/** Whether a process with this pid still exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ffmpeg the server under test chooses (the system's on PATH, else the packaged one), so the
 * fixtures are made with, and the assertions exercise, the same binary. Fails loudly, never skips.
 */
export async function ffmpegForTests(): Promise<string> {
  const choice = await locateFfmpeg();
  if (!choice.available) throw new Error(`Video tests need ffmpeg: ${choice.tried.join('; ')}. ${choice.fix}`);
  return choice.tools.ffmpeg;
}
