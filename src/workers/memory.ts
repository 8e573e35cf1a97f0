import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';

/**
 * Resident memory of a process in bytes, read from /proc (Linux) so it is the real figure now, not
 * the one the process last reported. Undefined when the process is gone or /proc is unavailable.
 */
export function processRss(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface SystemMemory {
  total_mb: number;
  free_mb: number;
}

export function systemMemory(): SystemMemory {
  const available = readAvailable();
  return { total_mb: Math.round(totalmem() / 1048576), free_mb: Math.round((available ?? freemem()) / 1048576) };
}

/** MemAvailable counts reclaimable page cache as free, which is what "free" means to a user. */
function readAvailable(): number | undefined {
  try {
    const match = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const mb = (bytes: number) => Math.round(bytes / 1048576);
