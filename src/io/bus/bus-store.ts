/**
 * The bus's directory: `bus.json` (format marker), `bus.lock` (one process at a time), `topics/<name>/`,
 * `subscriptions/<name>/`, `snapshots/<name>.json`. Every path comes from a validated name (names.ts) through
 * safeSubdir, and every file is opened without following links. A delete renames the directory aside first, so a
 * crash mid-delete never leaves half a topic that looks whole.
 */
import { closeSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openNoFollow, readFileNoFollow, safeStoreDir, safeSubdir, writeAll, writeFileAtomic } from '../../model/index.ts';
import { BusFailedPreconditionError, BusStorageCorruptError } from './bus-errors.ts';

const FORMAT = { format: 'riffle-bus', version: 1 };
const heldLocks = new Set<string>();

export class BusStore {
  private constructor(readonly root: string) {}

  /** Prepares `root` (a safe directory), checks its format, takes the lock. */
  static open(root: string): BusStore {
    safeStoreDir(root, 'bus directory');
    const marker = join(root, 'bus.json');
    const raw = readFileNoFollow(marker);
    if (raw === undefined) writeFileAtomic(marker, `${JSON.stringify(FORMAT)}\n`);
    else {
      let ok: boolean;
      try {
        const m = JSON.parse(raw.toString('utf8')) as { format?: unknown; version?: unknown };
        ok = m.format === FORMAT.format && m.version === FORMAT.version;
      } catch {
        ok = false;
      }
      if (!ok) throw new BusStorageCorruptError(`${marker} does not mark a Riffle bus directory of format version 1`, { hint: 'point the bus at its own directory' });
    }
    const store = new BusStore(root);
    store.lock();
    return store;
  }

  private lock(): void {
    const path = join(this.root, 'bus.lock');
    const key = path;
    if (heldLocks.has(key)) {
      throw new BusFailedPreconditionError(`the bus directory ${this.root} is already open in this process`, { hint: 'share the open Bus instead of opening the directory twice' });
    }
    for (let tries = 0; tries < 2; tries++) {
      try {
        const fd = openNoFollow(path, 'wx');
        writeAll(fd, `${process.pid}\n`);
        closeSync(fd);
        heldLocks.add(key);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = Number((readFileNoFollow(path) ?? Buffer.from('')).toString('utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new BusFailedPreconditionError(`the bus directory ${this.root} is in use by process ${pid}`, {
          hint: 'stop that process (or talk to it through `riffle bus serve`); two processes must not write one bus directory',
        });
      }
      rmSync(path, { force: true }); // a lock left by a process that died
    }
    throw new BusFailedPreconditionError(`could not take the lock ${path}`, { hint: 'another process keeps taking it; stop it' });
  }

  /** Releases the lock. */
  release(): void {
    const path = join(this.root, 'bus.lock');
    if (!heldLocks.delete(path)) return;
    rmSync(path, { force: true });
  }

  /** The directory of a resource (created safely). */
  dirOf(kind: 'topics' | 'subscriptions', name: string): string {
    return safeSubdir(this.root, kind, name);
  }

  /** Names of the directories under `kind`. */
  list(kind: 'topics' | 'subscriptions'): string[] {
    const out: string[] = [];
    for (const d of readdirSync(safeSubdir(this.root, kind), { withFileTypes: true })) {
      if (d.name.startsWith('.')) continue;
      if (d.isSymbolicLink()) safeSubdir(this.root, kind, d.name); // refuses it, naming the link
      if (d.isDirectory()) out.push(d.name);
    }
    return out.sort();
  }

  readJson<T>(path: string): T | undefined {
    const raw = readFileNoFollow(path);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw.toString('utf8')) as T;
    } catch (e) {
      throw new BusStorageCorruptError(`${path} is not valid JSON: ${(e as Error).message}`, { context: { file: path }, hint: 'restore it from a backup' });
    }
  }

  writeJson(path: string, value: unknown): void {
    writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Removes a resource directory: renamed aside, then deleted. */
  remove(kind: 'topics' | 'subscriptions', name: string): void {
    const dir = join(this.root, kind, name);
    const aside = join(this.root, kind, `.deleted-${name}-${randomBytes(3).toString('hex')}`);
    try {
      renameSync(dir, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    rmSync(aside, { recursive: true, force: true });
  }

  /** Deletes leftovers of deletes cut short. */
  sweep(): void {
    for (const kind of ['topics', 'subscriptions'] as const) {
      for (const d of readdirSync(safeSubdir(this.root, kind))) if (d.startsWith('.deleted-')) rmSync(join(this.root, kind, d), { recursive: true, force: true });
    }
  }

  snapshotPath(name: string): string {
    return join(safeSubdir(this.root, 'snapshots'), `${name}.json`);
  }

  listSnapshots(): string[] {
    return readdirSync(safeSubdir(this.root, 'snapshots'))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -5))
      .sort();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
