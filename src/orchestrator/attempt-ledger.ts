/**
 * Per-attempt files that let a task attempt outlive its scheduler on the journal store. The journal has one writer
 * (the scheduler holding `store.lock`), so a worker whose scheduler died cannot append to it; instead it hands its
 * result over through a small file that the next scheduler ingests. Beside the store, in `attempts/`:
 * - `<name>.attempt.json`: written by the executor before it hands the attempt to a worker — which attempt (key,
 *   try, a random token), which process runs it (pid, hostname, the process's start time from /proc, so that a
 *   reused pid is never mistaken for the worker). The worker touches its mtime at every heartbeat.
 * - `<name>.started`: created by the worker when it begins the attempt, so that a worker found dead without a result
 *   is told apart: it died running the task (its own failure, a counted try) or before it ever began (handed back).
 * - `<name>.result.json`: the attempt's outcome (and the log lines it wrote while no scheduler listened), written by a
 *   worker that lost its scheduler before the outcome was acknowledged: temp file, fsync, rename, directory fsync.
 * The scheduler removes both once the outcome is in the store. A result counts only with the token of the attempt
 * file beside it, so that a stale result of a handed-back attempt is never taken for its successor's.
 * (The PostgreSQL store needs none of this: any process may write it, so an orphaned worker writes there directly.)
 * Files are never followed through symlinks: reads open with O_NOFOLLOW, writes go to a fresh temp file (`wx`) renamed
 * over the name, which replaces a link rather than writing through it.
 * @example
 *   const ledger = new AttemptLedger(join(storeDir, 'attempts'));
 *   ledger.writeAttempt({ ...key, tryNumber: 1, token, pid: child.pid, hostname: hostname(), processStart: processStart(child.pid) });
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lutimesSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openNoFollow, readFileNoFollow, safeSubdir, writeFileAtomic } from '../model/index.ts';
import { taskInstanceId, type TaskInstanceKey } from './metadata-store.ts';
import type { AttemptOutcome } from './task-attempt.ts';

/** Which attempt a worker process runs (`<name>.attempt.json`). */
export interface AttemptRecord extends TaskInstanceKey {
  tryNumber: number;
  /** Random per launch: ties a result to this launch of (key, try). */
  token: string;
  pid: number;
  hostname: string;
  /** The process's start time (clock ticks since boot, /proc/<pid>/stat field 22); null where unknown. */
  processStart: number | null;
  startedAt: number;
}

/** An outcome a worker recorded itself (`<name>.result.json`). */
export interface ResultRecord extends TaskInstanceKey {
  tryNumber: number;
  token: string;
  outcome: AttemptOutcome;
  /** Log text written while no scheduler listened. */
  log: string;
  finishedAt: number;
}

/** The attempt files of one journal store (see above). */
export class AttemptLedger {
  constructor(readonly dir: string) {}

  /** The file stem of an attempt: a digest of its exact key (names from data never become paths) and its try. */
  static nameOf(key: TaskInstanceKey, tryNumber: number): string {
    return `${createHash('sha256').update(taskInstanceId(key)).digest('hex').slice(0, 24)}-${tryNumber}`;
  }

  writeAttempt(r: AttemptRecord): void {
    this.writeAtomic(`${AttemptLedger.nameOf(r, r.tryNumber)}.attempt.json`, JSON.stringify(r), false);
  }

  /** Durable: the scheduler that reads it may start after a crash of this machine's processes. */
  writeResult(r: ResultRecord): void {
    this.writeAtomic(`${AttemptLedger.nameOf(r, r.tryNumber)}.result.json`, JSON.stringify(r), true);
  }

  readAttempt(key: TaskInstanceKey, tryNumber: number): AttemptRecord | undefined {
    return this.readJson<AttemptRecord>(`${AttemptLedger.nameOf(key, tryNumber)}.attempt.json`);
  }

  /** The result of the attempt launched with `token`; undefined if none (or only a stale one of another launch). */
  readResult(key: TaskInstanceKey, tryNumber: number, token: string): ResultRecord | undefined {
    const r = this.readJson<ResultRecord>(`${AttemptLedger.nameOf(key, tryNumber)}.result.json`);
    return r?.token === token ? r : undefined;
  }

  /** When the worker last beat (the attempt file's mtime), or undefined if the file is gone. */
  lastBeat(key: TaskInstanceKey, tryNumber: number): number | undefined {
    try {
      const fd = openNoFollow(join(this.dir, `${AttemptLedger.nameOf(key, tryNumber)}.attempt.json`), 'r');
      try {
        return fstatSync(fd).mtimeMs;
      } finally {
        closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  /** A heartbeat: touches the attempt file (never through a link). */
  beat(key: TaskInstanceKey, tryNumber: number): void {
    const now = new Date();
    try {
      lutimesSync(join(this.dir, `${AttemptLedger.nameOf(key, tryNumber)}.attempt.json`), now, now);
    } catch {
      // removed meanwhile (the outcome is in the store): nothing to beat for
    }
  }

  /** The worker begins the attempt launched with `token`. */
  markStarted(key: TaskInstanceKey, tryNumber: number, token: string): void {
    this.writeAtomic(`${AttemptLedger.nameOf(key, tryNumber)}.started`, token, false);
  }

  /** Whether the worker began the attempt launched with `token`. */
  started(key: TaskInstanceKey, tryNumber: number, token: string): boolean {
    try {
      return readFileNoFollow(join(this.dir, `${AttemptLedger.nameOf(key, tryNumber)}.started`))?.toString('utf8') === token;
    } catch {
      return false; // a link or a non-file where the marker belongs is not a marker
    }
  }

  /** Removes an attempt's files (its outcome is in the store, or it was handed back). */
  remove(key: TaskInstanceKey, tryNumber: number): void {
    const name = AttemptLedger.nameOf(key, tryNumber);
    rmSync(join(this.dir, `${name}.result.json`), { force: true });
    rmSync(join(this.dir, `${name}.started`), { force: true });
    rmSync(join(this.dir, `${name}.attempt.json`), { force: true });
  }

  /** Every attempt file (to find those whose instance moved on, and remove them). */
  listAttempts(): AttemptRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.attempt.json')).flatMap((n) => this.readJson<AttemptRecord>(n) ?? []);
  }

  private readJson<T>(name: string): T | undefined {
    try {
      const bytes = readFileNoFollow(join(this.dir, name));
      return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as T);
    } catch {
      return undefined; // a torn file is impossible (written by rename); a link or a foreign file is not ours to trust
    }
  }

  private writeAtomic(name: string, text: string, durable: boolean): void {
    safeSubdir(dirname(this.dir), basename(this.dir)); // created if missing; never a link
    writeFileAtomic(join(this.dir, name), text, { durable });
  }
}


/**
 * Whether process `pid` runs and when it started. Linux: from /proc/<pid>/stat (a zombie — exited, not yet reaped
 * by whoever adopted it — is not alive). Elsewhere: signal 0, start unknown.
 */
export function processState(pid: number): { alive: boolean; start: number | null } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    return { alive: state !== 'Z' && state !== 'X', start: Number(fields[19]) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && processFsAvailable()) return { alive: false, start: null };
  }
  try {
    process.kill(pid, 0);
    return { alive: true, start: null };
  } catch (e) {
    return { alive: (e as NodeJS.ErrnoException).code === 'EPERM', start: null };
  }
}

let procFs: boolean | undefined;
function processFsAvailable(): boolean {
  if (procFs === undefined) {
    try {
      readFileSync(`/proc/${process.pid}/stat`);
      procFs = true;
    } catch {
      procFs = false;
    }
  }
  return procFs;
}

/** Whether the process an attempt record names is still that process (same pid and start time where known). */
export function isSameProcessAlive(pid: number, processStart: number | null): boolean {
  const s = processState(pid);
  return s.alive && (processStart === null || s.start === null || s.start === processStart);
}

/**
 * Whether process `pid` is a Riffle task process (its command line names task-runner), so that a pid the kernel
 * reused for another program is never killed as a leftover worker. True where /proc cannot tell.
 */
export function isTaskRunner(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('task-runner');
  } catch {
    return !processFsAvailable();
  }
}
