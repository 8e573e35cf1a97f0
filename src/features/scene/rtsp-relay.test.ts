import { describe, expect, it } from 'vitest';
import { RtspRedirectGuard } from './rtsp-relay.js';

/** Feeds chunks through a guard; what came out, and the redirect it saw, if any. */
async function guard(chunks: Buffer[]): Promise<{ out: Buffer; redirect?: [number, string | undefined]; failed: boolean }> {
  let redirect: [number, string | undefined] | undefined;
  const g = new RtspRedirectGuard((status, location) => (redirect = [status, location]));
  const out: Buffer[] = [];
  g.on('data', (chunk: Buffer) => out.push(chunk));
  let failed = false;
  g.on('error', () => (failed = true));
  for (const chunk of chunks) {
    if (failed) break;
    await new Promise<void>((resolve) => g.write(chunk, () => resolve()));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { out: Buffer.concat(out), redirect, failed };
}

const interleaved = (payload: Buffer) => {
  const head = Buffer.from([0x24, 0, 0, 0]);
  head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
};

describe('RtspRedirectGuard', () => {
  it('passes answers and interleaved data unchanged, even data that reads like a redirect', async () => {
    const ok = Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 19\r\n\r\nv=0\r\no=- RTSP/1.0 3');
    const frame = interleaved(Buffer.from('RTSP/1.0 302 Moved\r\nLocation: rtsp://127.0.0.1/\r\n\r\n'));
    const all = Buffer.concat([ok, frame, frame]);
    // Split at every awkward place: inside heads, bodies and frame headers.
    const chunks = [all.subarray(0, 10), all.subarray(10, 80), all.subarray(80, 81), all.subarray(81, 120), all.subarray(120)];
    const { out, redirect, failed } = await guard(chunks);
    expect(failed).toBe(false);
    expect(redirect).toBeUndefined();
    expect(out.equals(all)).toBe(true);
  });

  it('stops at a redirect, split across chunks, and never passes its head on', async () => {
    const ok = Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n');
    const moved = Buffer.from('RTSP/1.0 301 Moved Permanently\r\nCSeq: 2\r\nLocation: rtsp://10.0.0.9:554/x\r\n\r\n');
    const { out, redirect, failed } = await guard([Buffer.concat([ok, moved.subarray(0, 20)]), moved.subarray(20)]);
    expect(failed).toBe(true);
    expect(redirect).toEqual([301, 'rtsp://10.0.0.9:554/x']);
    expect(out.toString()).toBe(ok.toString());
  });
});
