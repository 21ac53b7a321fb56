/**
 * The journal store's writer lock: `store.lock` holds the writer's pid and host. It is created exclusively (`wx`,
 * never through a symbolic link), so two processes cannot both believe they created it. A lock left by a dead
 * process (same host, pid gone) is stale: it is broken under a second exclusive file (`store.lock.break`), re-read
 * there, and removed only if it is still the same stale lock, so two processes replacing it at once cannot both win.
 * @example
 *   const release = acquireStoreLock('.riffle/orchestrator');
 *   try { ... } finally { release(); }
 */
import { closeSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openNoFollow, readFileNoFollow, writeAll } from '../model/index.ts';
import { MetadataStoreError } from './errors.ts';

interface Holder {
  pid?: number;
  hostname?: string;
}

/** A break file older than this is left by a process that died while breaking a stale lock. */
const BREAK_STALE_MS = 10_000;

/** Takes the writer lock of the store in `dir`; returns the function that releases it. Throws STORE_LOCKED. */
export function acquireStoreLock(dir: string): () => void {
  const path = join(dir, 'store.lock');
  const me = JSON.stringify({ pid: process.pid, hostname: hostname() });
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openNoFollow(path, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const raw = readFileNoFollow(path);
      if (raw === undefined) continue; // released meanwhile
      refuseIfHeld(dir, raw.toString('utf8'));
      breakStaleLock(dir, path, raw);
      continue;
    }
    try {
      writeAll(fd, me);
    } finally {
      closeSync(fd);
    }
    return () => {
      // Remove the lock only if it is still ours (never another process's that replaced a lock we lost).
      if (readFileNoFollow(path)?.toString('utf8') === me) rmSync(path, { force: true });
    };
  }
  throw new MetadataStoreError('STORE_LOCKED', `cannot take the lock of the metadata store at ${dir}: other processes keep taking it`, { hint: 'stop the other schedulers using this store, then retry' });
}

function refuseIfHeld(dir: string, text: string): void {
  let holder: Holder = {};
  try {
    holder = JSON.parse(text) as Holder;
  } catch {
    // unreadable lock: the holder died while writing it
  }
  if (holder.pid !== undefined && holder.pid !== process.pid && holder.hostname === hostname() && isAlive(holder.pid)) {
    throw new MetadataStoreError('STORE_LOCKED', `the metadata store at ${dir} is in use by process ${holder.pid}`, {
      hint: 'stop that scheduler first, or open the store read-only for queries',
    });
  }
}

function breakStaleLock(dir: string, path: string, stale: Buffer): void {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openNoFollow(breaker, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let age: number;
    try {
      age = Date.now() - statSync(breaker).mtimeMs;
    } catch {
      return; // gone meanwhile: retry
    }
    if (age > BREAK_STALE_MS) {
      rmSync(breaker, { force: true });
      return;
    }
    throw new MetadataStoreError('STORE_LOCKED', `another process is taking over the stale lock of the metadata store at ${dir}`, { hint: 'retry in a moment' });
  }
  try {
    closeSync(fd);
    if (readFileNoFollow(path)?.equals(stale)) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** Whether a process with this pid runs (EPERM: it runs as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
