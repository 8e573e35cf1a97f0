import type { PullProgress } from '../models/progress.js';

export interface ProgressPrinter {
  (progress: PullProgress): void;
  /** Ends a bar left half-drawn (before an error message is printed). */
  end(): void;
}

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Draws pull progress: one bar redrawn in place on a terminal, and plain lines every `everyMs` on
 * anything else, because a log file or CI console full of carriage returns is unreadable.
 */
export function progressPrinter(out: Output, everyMs = 2000, now: () => number = Date.now): ProgressPrinter {
  let open: string | undefined;
  let lastLine = -Infinity;
  const print = ((p: PullProgress) => {
    if (out.isTTY) {
      if (open !== undefined && open !== p.label) out.write('\n');
      out.write(`\r${barLine(p, out.columns || 80)}\x1b[K`);
      open = p.done ? undefined : p.label;
      if (p.done) out.write('\n');
      return;
    }
    const t = now();
    if (!p.done && t - lastLine < everyMs) return;
    lastLine = p.done ? -Infinity : t;
    out.write(`${plainLine(p)}\n`);
  }) as ProgressPrinter;
  print.end = () => {
    if (open !== undefined) out.write('\n');
    open = undefined;
  };
  return print;
}

/** `yolov8n: 12.3/45.0 MB 5.1 MB/s ETA 6 s`, or `… done` at the end. */
export function plainLine(p: PullProgress): string {
  const resumed = p.resumedFrom > 0 ? ` (resumed at ${formatBytes(p.resumedFrom)})` : '';
  return `${p.label}: ${amount(p)} ${formatBytes(p.rate)}/s ${p.done ? 'done' : eta(p)}${resumed}`.replace(/ +$/, '');
}

function barLine(p: PullProgress, columns: number): string {
  const tail = ` ${amount(p)} ${formatBytes(p.rate)}/s ${p.done ? 'done' : eta(p)}`.trimEnd();
  const width = Math.max(10, Math.min(40, columns - p.label.length - tail.length - 4));
  if (p.bytesTotal === undefined || p.bytesTotal === 0) return `${p.label}${tail}`.slice(0, columns - 1);
  const filled = Math.round((Math.min(p.bytesDone, p.bytesTotal) / p.bytesTotal) * width);
  return `${p.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`.slice(0, columns - 1);
}

function amount(p: PullProgress): string {
  if (p.bytesTotal === undefined) return formatBytes(p.bytesDone);
  const unit = unitFor(p.bytesTotal);
  return `${scaled(p.bytesDone, unit)}/${scaled(p.bytesTotal, unit)} ${unit.name}`;
}

function eta(p: PullProgress): string {
  if (p.etaS === undefined) return '';
  const s = Math.ceil(p.etaS);
  return s < 90 ? `ETA ${s} s` : s < 5400 ? `ETA ${Math.round(s / 60)} min` : `ETA ${(s / 3600).toFixed(1)} h`;
}

const UNITS = [
  { name: 'B', size: 1 },
  { name: 'kB', size: 1e3 },
  { name: 'MB', size: 1e6 },
  { name: 'GB', size: 1e9 },
];

function unitFor(bytes: number): { name: string; size: number } {
  return [...UNITS].reverse().find((u) => bytes >= u.size) ?? UNITS[0];
}

function scaled(bytes: number, unit: { size: number }): string {
  return unit.size === 1 ? String(Math.round(bytes)) : (bytes / unit.size).toFixed(1);
}

/** `3.5 MB`, `812 B`. Decimal units, as download tools and the Hub show them. */
export function formatBytes(bytes: number): string {
  const unit = unitFor(bytes);
  return `${scaled(bytes, unit)} ${unit.name}`;
}
