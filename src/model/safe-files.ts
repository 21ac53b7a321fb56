/**
 * Opening store files without following symbolic links, in one place for every store Riffle keeps on disk (the
 * orchestrator's journal store and command inbox, the quality results store). A link planted where a store file
 * belongs (`store.lock` → `~/.bashrc`) would otherwise make Riffle overwrite, truncate or take over the file it
 * points to. Files are opened with O_NOFOLLOW (lstat checks where the platform has no such flag), locks and temp
 * files are created exclusively, and a store directory must be a real directory owned by the current user and not
 * writable by others.
 * @example
 *   safeStoreDir('.riffle/orchestrator', 'metadata store');
 *   const fd = openNoFollow(join(dir, 'journal.jsonl'), 'a+');
 *   writeFileAtomic(join(dir, 'snapshot.json'), text);
 */
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open as openAsync, rename as renameAsync, rm as rmAsync } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { RiffleError } from './errors.ts';

/** A store file or directory is unsafe to use (a symbolic link, someone else's directory). */
export class UnsafeStorePathError extends RiffleError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('STORE_PATH_UNSAFE', message, { domain: 'user', ...opts });
  }
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const FLAGS = {
  r: constants.O_RDONLY,
  'r+': constants.O_RDWR,
  w: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
  wx: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
  a: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
  'a+': constants.O_RDWR | constants.O_CREAT | constants.O_APPEND,
} as const;

export type NoFollowFlags = keyof typeof FLAGS;

function linkError(path: string, cause?: unknown): UnsafeStorePathError {
  return new UnsafeStorePathError(`${path} is a symbolic link (or not a regular file): Riffle does not follow links for its store files`, {
    hint: `remove ${path} (nothing in a Riffle store is a link), or point the store at the real directory`,
    cause,
  });
}

/**
 * Opens a file without following a symbolic link at its last component (ELOOP becomes an UnsafeStorePathError);
 * 'wx' creates it exclusively. New files get `mode` (default 0o600). Returns the descriptor.
 */
export function openNoFollow(path: string, flags: NoFollowFlags, mode = 0o600): number {
  if (NOFOLLOW === 0) {
    // No O_NOFOLLOW (Windows): check with lstat first (a race remains, but a planted link is still refused).
    try {
      if (lstatSync(path).isSymbolicLink()) throw linkError(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  let fd: number;
  try {
    fd = openSync(path, FLAGS[flags] | NOFOLLOW, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw linkError(path, e);
    throw e;
  }
  // A FIFO or device where a store file belongs is refused too (reads would block or have side effects).
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw linkError(path);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Reads a whole file without following a link; undefined if it does not exist. */
export function readFileNoFollow(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openNoFollow(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `data` to a descriptor. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Fsyncs a directory (so that a rename or a new file in it survives a power loss); a no-op where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  } catch {
    return; // Windows cannot open directories
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory: nothing more can be done
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` atomically: writes a temp file beside it (created exclusively, never through a link), fsyncs it,
 * renames it over `path` (a link at `path` is replaced, not followed) and, with `durable` (default), fsyncs the
 * directory. A reader sees the old content or the new, never half of either.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: { durable?: boolean; mode?: number } = {}): void {
  const tmp = tempBeside(path);
  const fd = openNoFollow(tmp, 'wx', o.mode ?? 0o600);
  try {
    writeAll(fd, data);
    if (o.durable !== false) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (o.durable !== false) fsyncDir(dirname(path));
}

/** A temp file's name beside `path` (hidden, unique per process and call). */
function tempBeside(path: string): string {
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/**
 * `writeFileAtomic` for code that must not block the event loop (a server's or a sink's I/O path): the same protocol —
 * a temp file created exclusively and never through a link, written and fsynced, renamed over `path` — with
 * asynchronous I/O. The directory fsync stays synchronous (one small call, after the data is durable).
 */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, o: { durable?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = tempBeside(path);
  const handle = await openAsync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), o.mode ?? 0o600);
  try {
    await handle.writeFile(data);
    if (o.durable !== false) await handle.sync();
  } catch (e) {
    await handle.close();
    await rmAsync(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await renameAsync(tmp, path);
  } catch (e) {
    await rmAsync(tmp, { force: true });
    throw e;
  }
  if (o.durable !== false) fsyncDir(dirname(path));
}

/**
 * Makes sure `dir` is usable as a store directory: creates it (mode 0o700) if missing; refuses a path that is not a
 * directory, and (where the platform has owners) a directory owned by another user or writable by group or others,
 * in which someone else could plant links or files (`checkOwner: false` skips that for read-only use). `what` names
 * the store in messages.
 */
export function safeStoreDir(dir: string, what: string, o: { checkOwner?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new UnsafeStorePathError(`the ${what} at ${dir} is not a directory`, { hint: 'point the store option at a directory' });
  const uid = process.getuid?.();
  if (uid === undefined || o.checkOwner === false) return;
  if (st.uid !== uid) {
    throw new UnsafeStorePathError(`the ${what} at ${dir} belongs to user ${st.uid}, not to the current user (${uid})`, {
      hint: `run as the store's owner, or use a store directory of your own (another user could otherwise plant links in it); to adopt it: chown -R ${uid} ${dir}`,
    });
  }
  if ((st.mode & 0o022) !== 0) {
    throw new UnsafeStorePathError(`the ${what} at ${dir} is writable by ${st.mode & 0o002 ? 'every user' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`, {
      hint: `other users could plant links or files in it; run: chmod go-w ${dir}`,
    });
  }
}

/**
 * Creates (if needed) the directory `root/...parts`, refusing any component under `root` that is a symbolic link or
 * not a directory; returns its path. Parts must not climb out of `root`.
 */
export function safeSubdir(root: string, ...parts: string[]): string {
  let dir = root;
  for (const part of parts.flatMap((p) => p.split(/[\\/]/)).filter((p) => p !== '' && p !== '.')) {
    dir = join(dir, part);
    const rel = relative(resolve(root), resolve(dir));
    if (rel.startsWith('..') || rel.split(sep).includes('..')) throw new UnsafeStorePathError(`${dir} is outside ${root}`);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = lstatSync(dir);
    if (!st.isDirectory()) {
      throw new UnsafeStorePathError(`${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: Riffle does not follow links inside its stores`, {
        hint: `remove ${dir}; Riffle creates it again`,
      });
    }
  }
  return dir;
}
