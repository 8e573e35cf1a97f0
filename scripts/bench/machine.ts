/** The facts a benchmark figure means nothing without: what it ran on, and with which versions. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export interface MachineFacts {
  cpuModel: string;
  /** Logical CPUs this process may use. */
  cores: number;
  totalMemoryGiB: number;
  kernel: string;
  node: string;
  onnxruntimeNode: string;
  sharp: string;
  /** The commit benchmarked, with `+dirty` when the working tree had changes. */
  commit: string;
  /** ISO 8601, when the run started. */
  date: string;
}

const requireHere = createRequire(import.meta.url);

/** An installed package's version (found from its entry point: some packages do not export package.json). */
function packageVersion(name: string): string {
  try {
    for (let dir = dirname(requireHere.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
  } catch {
    // Not installed: say so below.
  }
  return 'unknown';
}

/** "model name" from /proc/cpuinfo (Linux), else what Node reports. */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // Not Linux: fall through.
  }
  return cpus()[0]?.model ?? 'unknown';
}

function gitCommit(repoRoot: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function machineFacts(repoRoot: string): MachineFacts {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    sharp: packageVersion('sharp'),
    commit: gitCommit(repoRoot),
    date: new Date().toISOString(),
  };
}

