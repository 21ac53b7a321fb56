/**
 * CPU seconds of a process and every process it starts (a JVM, the processes the JVM starts, …), measured from
 * /proc: the tree under a root pid is walked every `intervalMs` and each pid's user + system time (its own threads,
 * from /proc/<pid>/stat) is kept at the largest value seen. The sum over every pid ever seen in the tree is the
 * tree's CPU. A process that lives less than one interval may be missed, and a process's last interval before it
 * exits is lost: with 100 ms sampling that is at most 0.1 s per process (the runs measured here last tens of seconds,
 * with a handful of processes). Children's times (cutime/cstime) are not added, so nothing is counted twice.
 * Linux only.
 * @example
 *   const meter = watchProcessTree(child.pid!);
 *   await exited;
 *   const { cpuSeconds, processes } = meter.stop();
 */
import { readdirSync, readFileSync } from 'node:fs';

/** What a watched tree used. */
export interface TreeCpu {
  /** User + system seconds, summed over every process seen in the tree. */
  readonly cpuSeconds: number;
  /** How many distinct processes were seen. */
  readonly processes: number;
  /** CPU seconds by command name (e.g. `java` for JVMs, `node` for Riffle's processes), summed over its processes. */
  readonly byCommand: Readonly<Record<string, number>>;
}

/** A running measurement of one process tree. */
export interface TreeMeter {
  /** Samples once more and stops; the tree's figures so far. */
  stop(): TreeCpu;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)); fixed at 100 on every Linux ABI Node runs on.

interface Stat {
  readonly ppid: number;
  readonly command: string;
  readonly ticks: number;
  /** Start time in ticks since boot: a reused pid is another process. */
  readonly start: string;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
  // pid (comm) state ppid ... ; comm may hold spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  const command = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // After comm: [0] state, [1] ppid, … [11] utime, [12] stime, … [19] starttime.
  return { ppid: Number(f[1]), command, ticks: Number(f[11]) + Number(f[12]), start: f[19]! };
}

/** Starts sampling the tree under `rootPid` every `intervalMs` (default 100). */
export function watchProcessTree(rootPid: number, intervalMs = 100): TreeMeter {
  const best = new Map<string, { command: string; ticks: number }>();
  const sample = () => {
    const stats = new Map<number, Stat>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const s = readStat(Number(name));
      if (s !== undefined) stats.set(Number(name), s);
    }
    const inTree = new Set<number>([rootPid]);
    // Parents are usually listed before children, but not always (pids wrap): repeat until nothing is added.
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, s] of stats) {
        if (!inTree.has(pid) && inTree.has(s.ppid)) {
          inTree.add(pid);
          grew = true;
        }
      }
    }
    for (const pid of inTree) {
      const s = stats.get(pid);
      if (s === undefined) continue;
      const key = `${pid}@${s.start}`;
      const prev = best.get(key);
      if (prev === undefined || s.ticks > prev.ticks) best.set(key, { command: s.command, ticks: s.ticks });
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop(): TreeCpu {
      sample();
      clearInterval(timer);
      const byCommand: Record<string, number> = {};
      let ticks = 0;
      for (const { command, ticks: t } of best.values()) {
        ticks += t;
        byCommand[command] = Math.round(((byCommand[command] ?? 0) + t / TICKS_PER_SECOND) * 100) / 100;
      }
      return { cpuSeconds: ticks / TICKS_PER_SECOND, processes: best.size, byCommand };
    },
  };
}
