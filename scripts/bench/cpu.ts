/**
 * CPU accounting from /proc (Linux): the cores given processes used during a measurement, and the
 * cores everything outside the benchmark used meanwhile. On a 2-core machine the load generator,
 * the HTTP process and the model workers share the same cores, and so does anything else running:
 * where the CPU went explains throughput better than latency alone, and says when a run was disturbed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  /** User + system ticks of the process itself. */
  own: number;
  /** User + system ticks of its children that have exited and been reaped. */
  reaped: number;
}

function procStat(pid: number | string): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis,
    // where field 3 (state) is index 0: ppid is field 4, utime/stime 14/15, cutime/cstime 16/17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return { ppid: f[1], own: f[11] + f[12], reaped: f[13] + f[14] };
  } catch {
    return undefined;
  }
}

/** A process and its live descendants (model workers, helpers, a peer's interpreter under its launcher). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const stat = procStat(name);
      if (stat) parents.set(Number(name), stat.ppid);
    }
  } catch {
    return [root];
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/** User + system CPU seconds of one process so far; undefined when it is gone or not on Linux. */
export function cpuSeconds(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat && stat.own / clockTicks();
}

export type CpuGroups = Record<string, number[]>;

/** Cores used (1 = one core busy the whole time) by each named group of processes. */
export type CpuUse = Record<string, number>;

export interface CpuMeter {
  /** Cores each group used since the meter started. NaN for a group none of whose processes could be read. */
  stop(): CpuUse;
}

/**
 * Starts measuring CPU use of named groups of processes.
 * @example
 * const meter = startCpuMeter({ http: [server.pid], workers: workerPids, client: [process.pid] });
 * // … load …
 * meter.stop(); // { http: 0.41, workers: 1.52, client: 0.08 }
 */
export function startCpuMeter(groups: CpuGroups): CpuMeter {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.map(cpuSeconds)]));
  const before = read();
  const started = performance.now();
  return {
    stop() {
      const after = read();
      const elapsedS = (performance.now() - started) / 1000;
      return Object.fromEntries(Object.keys(groups).map((name) => {
        const deltas = after[name].map((end, i) => (end !== undefined && before[name][i] !== undefined ? end - before[name][i]! : undefined));
        const known = deltas.filter((d): d is number => d !== undefined);
        return [name, known.length ? known.reduce((a, b) => a + b, 0) / elapsedS : Number.NaN];
      }));
    },
  };
}

/**
 * Busy ticks of the whole machine so far, from /proc/stat: user, nice, system and steal. Interrupt
 * and softirq time is left out: no process is charged for it, and most of it is the benchmark's
 * own (loopback networking, freeing the decoder's memory), not another process's.
 */
function machineBusyTicks(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return f[0] + f[1] + f[2] + f[7];
  } catch {
    return undefined;
  }
}

/**
 * Ticks used by this process and everything it started: live descendants count their own time and
 * their reaped children's, and a child that exits during a measurement moves into its parent's
 * reaped time, so deltas stay right.
 */
function treeTicks(): number {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(name);
    if (stat) stats.set(Number(name), stat);
  }
  const inTree = new Set([process.pid]);
  // Parents can have larger pids than their children after pid wrap-around: iterate to a fixed point.
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!inTree.has(pid) && inTree.has(stat.ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of inTree) {
    const stat = stats.get(pid);
    if (stat) ticks += stat.own + stat.reaped;
  }
  return ticks;
}

export interface InterferenceMeter {
  /** Cores used by processes outside this benchmark since the meter started; NaN off Linux. */
  stop(): number;
}

/**
 * Measures what everything else on the machine used while a measurement ran. On a shared 2-core
 * machine a test suite running beside the benchmark can halve its figures; this says when it did.
 */
export function startInterferenceMeter(): InterferenceMeter {
  const read = () => ({ machine: machineBusyTicks(), ours: treeTicks(), at: performance.now() });
  const before = read();
  return {
    stop() {
      const after = read();
      if (before.machine === undefined || after.machine === undefined) return Number.NaN;
      const others = after.machine - before.machine - (after.ours - before.ours);
      return Math.max(0, others / clockTicks() / ((after.at - before.at) / 1000));
    },
  };
}

/** A measurement's result with the cores other processes used while it ran. */
export type Metered<T> = T & { otherCores: number };

/** Runs `measure` under an {@link startInterferenceMeter interference meter}. */
export async function metered<T extends object>(measure: () => Promise<T>): Promise<Metered<T>> {
  const meter = startInterferenceMeter();
  const result = await measure();
  return { ...result, otherCores: meter.stop() };
}
