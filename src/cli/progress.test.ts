import { describe, expect, it } from 'vitest';
import { ProgressMeter } from '../models/progress.js';
import { formatBytes, progressPrinter } from './progress.js';

/** A clock the test moves by hand, so rates and ETAs are exact. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

// Node offers no pseudo-terminal without a native add-on, so the terminal is an object with
// isTTY set: the printer only looks at isTTY, columns and write.
function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, columns: 80, writes, write: (s: string) => writes.push(s), text: () => writes.join('') };
}

describe('progress', () => {
  it('measures the rate over a sliding window and derives the ETA from it', () => {
    const c = clock();
    const meter = new ProgressMeter({ label: 'm', total: 45_000_000, windowMs: 5000, now: c.now });
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      meter.add(1_000_000);
    }
    // The link gets faster: the windowed rate follows within the window, not after the whole transfer.
    for (let i = 0; i < 5; i++) {
      c.advance(1000);
      meter.add(5_000_000);
    }
    const p = meter.snapshot(false);
    expect(p.bytesDone).toBe(35_000_000);
    expect(p.rate).toBe(5_000_000);
    expect(p.etaS).toBe(2);
    expect(meter.snapshot(true).rate).toBe(35_000_000 / 15);
  });

  it('prints plain lines at most every interval, and always the last one, when not a terminal', () => {
    const c = clock();
    const out = sink(false);
    const meter = new ProgressMeter({ label: 'yolov8n', total: 45_000_000, everyMs: 0, windowMs: 10_000, now: c.now }, progressPrinter(out, 2000, c.now));
    for (let i = 0; i < 6; i++) {
      c.advance(500);
      meter.add(2_100_000);
    }
    meter.finish();
    expect(out.writes).toEqual([
      'yolov8n: 2.1/45.0 MB 4.2 MB/s ETA 11 s\n',
      'yolov8n: 10.5/45.0 MB 4.2 MB/s ETA 9 s\n',
      'yolov8n: 12.6/45.0 MB 4.2 MB/s done\n',
    ]);
  });

  it('redraws one bar line in place on a terminal and ends it with a newline', () => {
    const c = clock();
    const out = sink(true);
    const meter = new ProgressMeter({ label: 'm', total: 4_000_000, everyMs: 0, now: c.now }, progressPrinter(out, 2000, c.now));
    c.advance(1000);
    meter.add(1_000_000);
    meter.finish();
    const clearToEnd = '\x1b[K';
    expect(out.writes[0].startsWith('\r')).toBe(true);
    expect(out.writes[0].endsWith(clearToEnd)).toBe(true);
    expect(out.writes[0].slice(1, -clearToEnd.length)).toMatch(/^m \[#+\.+\] 1\.0\/4\.0 MB 1\.0 MB\/s ETA 3 s$/);
    expect(out.text()).not.toContain('\n\r');
    expect(out.text().endsWith('done\x1b[K\n')).toBe(true);
  });

  it('formats sizes in decimal units', () => {
    expect([formatBytes(812), formatBytes(3_504_119), formatBytes(1.5e9)]).toEqual(['812 B', '3.5 MB', '1.5 GB']);
  });
});
