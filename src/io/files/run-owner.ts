import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Run ids of file sinks, and whether the run that made one is still alive.
 *
 * A run id names a sink's temp dir (`.riffle-tmp-<runId>`), its commit lock and its entry in a `_SUCCESS` manifest.
 * It carries its owner — host, pid and the process's start time — so that a later run can tell an abandoned temp dir
 * (its process is dead) from one a live writer is filling, from the name alone: there is no moment at which a temp dir
 * exists without its owner being known (a separate owner file would leave one between mkdir and write).
 *
 * Format: `<ms since epoch, base 36>-<host tag>-<pid>.<process start, base 36>-<random>`.
 *
 * @example
 *   const id = newRunId();          // 'mj1x0q2a-3f9c2b1e-4121.1kq9-a1b2c3'
 *   runIdLiveness(id) === 'alive';  // this process
 */

/** Eight hex characters of the host name's hash: enough to tell hosts apart, without printing the name. */
export function hostTag(host = hostname()): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8);
}

const HOST = hostTag();
let ownStart: string | undefined;

/** A new run id owned by this process. */
export function newRunId(): string {
  ownStart ??= processStart(process.pid) ?? '0';
  return `${Date.now().toString(36)}-${HOST}-${process.pid}.${ownStart}-${randomBytes(3).toString('hex')}`;
}

const RUN_ID = /^([0-9a-z]+)-([0-9a-f]{8})-(\d+)\.([0-9a-z]+)-([0-9a-f]+)$/;

/** The parts of a run id made by `newRunId`, or undefined for another shape (e.g. the job ids of earlier versions). */
export function parseRunId(runId: string): { time: number; host: string; pid: number; start: string } | undefined {
  const m = RUN_ID.exec(runId);
  if (!m) return undefined;
  return { time: parseInt(m[1]!, 36), host: m[2]!, pid: Number(m[3]), start: m[4]! };
}

/**
 * Whether the process that made a run id still runs: 'dead' (same host, and no such process or another process that
 * reuses its pid), 'alive', or 'unknown' (made on another host sharing this file system, or an id of another shape).
 */
export function runIdLiveness(runId: string): 'alive' | 'dead' | 'unknown' {
  const id = parseRunId(runId);
  if (!id || id.host !== HOST) return 'unknown';
  if (id.pid === process.pid) return id.start === (ownStart ??= processStart(process.pid) ?? '0') ? 'alive' : 'dead';
  try {
    process.kill(id.pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  const start = processStart(id.pid);
  // A pid is reused once its process is gone: a different start time is another process.
  if (start !== undefined && id.start !== '0' && start !== id.start) return 'dead';
  return 'alive';
}

/** A process's start time (clock ticks since boot, base 36) from /proc on Linux; undefined elsewhere or when gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks.toString(36) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Blocks the thread for `ms` (the commit protocol is synchronous: sinks commit inside a DoFn). Used only to wait for
 * another process's commit lock, and by the kill test's commit delay — never per element.
 */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
