import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { COMMIT_MARKER, fileSetPattern, readCommitManifest, nextFileSetEntry, type CommitManifest, type CommittedFile, type FileSetEntry } from './commit-manifest.ts';
import { newRunId, runIdLiveness, sleepSync } from './run-owner.ts';

/*
 * The commit protocol of every file sink — one mechanism for batch and windowed writes, in every format.
 *
 * An output directory holds:
 *   part-00000-of-00002.jsonl …       committed files, named as they always were, flat in the directory
 *   _SUCCESS                          the manifest (commit-manifest.ts): per file set, the committed files
 *   .riffle-tmp-<runId>/              a run's files being written, under random names (hidden: globs skip it)
 *   .riffle-commit.lock               held during a commit, so that two processes committing here take turns
 * A file set is one sink's files: `<base>[<window>-<pane>-]SSSSS-of-NNNNN<rest>`. A reader that honours the manifest
 * reads a set's files only if the manifest lists them, so publishing the manifest is the commit point; a listed file
 * that a commit is still moving into place ("pending") is read from the run's temp dir while it is there.
 *
 * Committing files F (complete and fsynced in the run's temp dir T) to set S for run R:
 *  1. Take the lock (created whole with link(); a lock left by a dead process is broken). Finish the renames of any
 *     commit that a crash interrupted after its commit point (its `pending` files), so that what follows starts from
 *     a settled directory.
 *  2. Read the manifest M. The files readers now see of S are V: M's list for S, or, with no entry for S, the files
 *     on disk that match S's pattern (written by an earlier version without a manifest: adopted). The files kept are
 *     K: S's files when R made them (a run extends its own set — each pane of a windowed write, and a resumed run
 *     after a checkpoint), else none (a new run replaces the set).
 *  3. If M has no entry for S, publish M' = M + S listing V (what readers see does not change: it is the guard that
 *     makes the next step's files invisible). Publishing = write a temp file in T, fsync it, rename it to `_SUCCESS`,
 *     fsync the directory.
 *  4. Files of F whose name is not in V: rename to their final names now (unlisted names of S's pattern: invisible).
 *     Files of F whose name is in V (a rerun writes the same names): rename to `T/<name>` — renaming over a visible
 *     file now would change the old set. fsync the directory and T.
 *  5. COMMIT POINT: publish M'' where S lists K ∪ F, with the names staged in T as `pending` (read from T while there).
 *  6. Rename the pending files from T to their final names, fsync, publish M''' without `pending`.
 *  7. Delete the files matching S's pattern that the manifest does not list (nor another set): the previous run's
 *     files, files of interrupted commits, an earlier version's; delete temp dirs and locks of dead runs; unlock.
 *
 * A crash (SIGKILL, power loss) at any point leaves, to readers: before 5, M or M' — the old set, whole (its files are
 * untouched; the new ones are unlisted or hidden in T; T is removed by the next run); from 5 on, M'' or M''' — the new
 * set, whole (each listed file is at its final name or, until renamed, in T; everything was synced before 5). Never a
 * mix of two runs' files, never part of one, never nothing where a set was. The next commit to the directory
 * finishes the renames a crash left pending (1), and deletes the leftovers (7).
 */

/** One sink's files in one directory (see FileSetEntry). */
export interface FileSet {
  readonly dir: string;
  /** What precedes the window, pane and shard parts: `part-` for prefix `out/part`, '' for prefix `out/`. */
  readonly base: string;
  /** What follows the shard part: suffix, extension and `.gz`, e.g. `-v2.jsonl.gz`. */
  readonly rest: string;
}

/** A written temp file and the name it takes in the set's directory. */
export interface CommitFile {
  readonly tempPath: string;
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

/** The steps of a commit, for tests that look at the directory between them. */
export type CommitStep = 'locked' | 'guarded' | 'renamed-one' | 'renamed' | 'committed' | 'settled' | 'cleaned';

export interface CommitOptions {
  /** The run committing: a run adds to its own committed set, another run's set it replaces. */
  readonly runId: string;
  /**
   * Whose set this commit extends (default `runId`): a run resumed from a checkpoint commits as the run that started
   * the job (carried in the checkpoint), so that it adds to that run's set instead of replacing it.
   */
  readonly owner?: string;
  /** Where the manifest's temp file is written: the run's temp dir in the set's directory (created if missing). */
  readonly tempDir?: string;
  /** Called after each step (tests). */
  readonly onStep?: (step: CommitStep) => void;
}

const TEMP_PREFIX = '.riffle-tmp-';
const LOCK = '.riffle-commit.lock';
/** How long a commit waits for another live process's lock before failing. */
const LOCK_TIMEOUT_MS = 120_000;

/**
 * A run's hidden temp dir beside its outputs, `<dir>/.riffle-tmp-<runId>`: its files are written here under random
 * names. `remove()` deletes it with whatever it holds (after a commit, an abort or a failure).
 *
 * @example
 *   const tmp = RunTempDir.create('out');
 *   const f = SyncTempFile.open(tmp.path, jsonlFormat()); …
 *   commitFileSet({ dir: 'out', base: 'part-', rest: '.jsonl' }, [{ tempPath: f.close().tempPath, name: 'part-00000-of-00001.jsonl', count, bytes }], { runId: tmp.runId, tempDir: tmp.path });
 *   tmp.remove();
 */
export class RunTempDir {
  private constructor(
    readonly dir: string,
    readonly runId: string,
    readonly path: string,
  ) {}

  /** Creates `<dir>/.riffle-tmp-<runId>` (and `dir`), first removing the temp dirs of dead runs there. */
  static create(dir: string, runId: string = newRunId()): RunTempDir {
    const path = join(dir, `${TEMP_PREFIX}${runId}`);
    try {
      mkdirSync(path, { recursive: true });
    } catch (e) {
      throw new RiffleError('FILE_WRITE_FAILED', `cannot create the temp dir ${path}: ${(e as Error).message}`, {
        domain: 'external',
        cause: e,
        hint: 'check that the output path is a directory you can write to',
      });
    }
    removeDeadTempDirs(dir);
    return new RunTempDir(dir, runId, path);
  }

  /** Deletes the temp dir and its files (idempotent). */
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * Removes the `.riffle-tmp-*` dirs and files of dead runs in `dir` (their process is gone; or, for temp dirs of
 * earlier versions, whose names carry no owner, untouched for an hour); never one of a live run, nor one holding
 * committed files still to be moved into place (the next commit moves them). Returns their names.
 */
export function removeDeadTempDirs(dir: string): string[] {
  let names: string[];
  let pending: Set<string>;
  try {
    names = readdirSync(dir);
    pending = new Set(readCommitManifest(dir).manifest?.sets.flatMap((s) => (s.pending ? [s.pending.dir] : [])));
  } catch {
    return []; // no directory, or a manifest that cannot be read: remove nothing
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) || pending.has(name)) continue;
    const runId = name.slice(TEMP_PREFIX.length);
    const path = join(dir, name);
    const liveness = runIdLiveness(runId);
    if (liveness === 'alive') continue;
    if (liveness === 'unknown' && Date.now() - newestMtime(path) < 3_600_000) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function newestMtime(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.mtimeMs;
    let newest = st.mtimeMs;
    for (const n of readdirSync(path)) newest = Math.max(newest, statSync(join(path, n), { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return newest;
  } catch {
    return Date.now();
  }
}

/**
 * Commits files to a file set by the protocol above, and returns the set's committed entry. Idempotent for a retry
 * of the same commit: a file whose temp file is gone and whose final name exists counts as renamed already.
 */
export function commitFileSet(set: FileSet, files: readonly CommitFile[], o: CommitOptions): FileSetEntry {
  const names = new Set<string>();
  for (const f of files) {
    if (/[/\\]/.test(f.name) || f.name === COMMIT_MARKER || names.has(f.name)) throw new ConfigError(`cannot commit ${JSON.stringify(f.name)} to ${set.dir}: not a unique file name`);
    names.add(f.name);
  }
  const pattern = fileSetPattern(set.base, set.rest);
  const stray = files.find((f) => !pattern.test(f.name));
  if (stray) throw new ConfigError(`cannot commit ${stray.name} to the file set ${set.base}*${set.rest} of ${set.dir}: the name is not one of its shard names`);
  const tempDir = o.tempDir ?? join(set.dir, `${TEMP_PREFIX}${o.runId}`);
  if (dirname(tempDir) !== dirname(join(set.dir, 'x')) || !basename(tempDir).startsWith(TEMP_PREFIX)) {
    throw new ConfigError(`the temp dir of a commit to ${set.dir} must be a ${TEMP_PREFIX}* dir in it, not ${tempDir}`);
  }
  mkdirSync(tempDir, { recursive: true });
  const step = (s: CommitStep) => {
    o.onStep?.(s);
    sleepSync(testDelayMs());
  };
  // Where each file is: its temp file; staged in the temp dir under its name by an earlier attempt of this commit; or
  // (undefined) already at its final name, after an attempt that got that far.
  const sources = files.map((f) => {
    if (exists(f.tempPath)) return f.tempPath;
    if (exists(join(tempDir, f.name))) return join(tempDir, f.name);
    if (exists(join(set.dir, f.name))) return undefined;
    throw commitFailure(set, `the temp file ${f.tempPath} of ${f.name} is missing and no committed file exists`, undefined, 'rerun the job');
  });

  const unlock = lock(set.dir, o.runId, tempDir);
  try {
    // 1. A settled directory.
    const manifest = finishPending(set.dir, readCommitManifest(set.dir).manifest, tempDir);
    step('locked');
    // 2. What readers see now, what stays.
    const sets = [...(manifest?.sets ?? [])];
    const at = sets.findIndex((s) => s.base === set.base && s.rest === set.rest);
    const prev = at >= 0 ? sets[at] : undefined;
    const slot = at >= 0 ? at : sets.length;
    const otherListed = new Set(sets.filter((s) => s !== prev).flatMap((s) => s.files.map((f) => f.name)));
    const onDisk = () => readdirSync(set.dir).filter((n) => pattern.test(n) && !otherListed.has(n));
    const visible = new Set((prev ? prev.files : onDisk().map((name) => adopted(set.dir, name))).map((f) => f.name));
    const owner = o.owner ?? o.runId;
    const kept = prev && prev.runId === owner ? prev.files.filter((f) => !names.has(f.name)) : [];
    const put = (entry: FileSetEntry): CommitManifest => {
      sets[slot] = entry;
      return { format: 'riffle-files', version: 1, sets };
    };
    // 3. The guard: an entry for S, so that its unlisted files are invisible.
    if (!prev) {
      const now = new Date().toISOString();
      publish(set, put({ base: set.base, rest: set.rest, runId: '', commits: 0, time: now, files: [...visible].map((name) => adopted(set.dir, name)) }), tempDir);
    }
    step('guarded');
    // 4. New names into place, names that readers see into the temp dir.
    const pending: string[] = [];
    files.forEach((f, i) => {
      const from = sources[i];
      if (from === undefined) return;
      const staged = visible.has(f.name);
      const to = join(staged ? tempDir : set.dir, f.name);
      if (staged) pending.push(f.name);
      if (from === to) return;
      try {
        renameSync(from, to);
      } catch (e) {
        throw commitFailure(set, `cannot rename ${from} to ${to}: ${(e as Error).message}`, e, 'check the output directory; rerun the job');
      }
      step('renamed-one');
    });
    fsyncDir(set.dir);
    if (pending.length > 0) fsyncDir(tempDir);
    step('renamed');
    // 5. Commit point.
    const entry = nextFileSetEntry(set, owner, prev, kept, files);
    publish(set, put(pending.length > 0 ? { ...entry, pending: { dir: basename(tempDir), names: pending } } : entry), tempDir);
    step('committed');
    // 6. The pending renames.
    if (pending.length > 0) {
      for (const name of pending) movePending(set.dir, basename(tempDir), name);
      fsyncDir(set.dir);
      publish(set, put(entry), tempDir);
    }
    step('settled');
    // 7. Clean up what no reader sees — after a run's first commit (a replace: the old set, leftovers); a later
    // commit of the same run (a pane) only added files, so it costs no directory listing.
    if (kept.length === 0) {
      const listed = new Set(entry.files.map((f) => f.name));
      for (const name of onDisk()) if (!listed.has(name)) unlinkSync(join(set.dir, name));
      removeDeadTempDirs(set.dir);
      fsyncDir(set.dir);
    }
    step('cleaned');
    return entry;
  } finally {
    unlock();
  }
}

/**
 * Finishes the pending renames a crash left in a manifest (under the lock): moves each file still in its temp dir to
 * its final name, then publishes the manifest without `pending`. Returns the settled manifest.
 */
function finishPending(dir: string, manifest: CommitManifest | undefined, tempDir: string): CommitManifest | undefined {
  if (!manifest || !manifest.sets.some((s) => s.pending)) return manifest;
  for (const s of manifest.sets) for (const name of s.pending?.names ?? []) movePending(dir, s.pending!.dir, name);
  fsyncDir(dir);
  const settled: CommitManifest = { ...manifest, sets: manifest.sets.map(({ pending: _pending, ...rest }) => rest) };
  publish({ dir, base: '', rest: '' }, settled, tempDir);
  return settled;
}

function movePending(dir: string, pendingDir: string, name: string): void {
  try {
    renameSync(join(dir, pendingDir, name), join(dir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw commitFailure({ dir, base: '', rest: '' }, `cannot move ${join(pendingDir, name)} into place: ${(e as Error).message}`, e, 'check the output directory; rerun the job');
  }
}

/** A temp file and its final path, for `commitRenames`. */
export interface Rename {
  readonly tempPath: string;
  readonly finalPath: string;
  /** Records in it (-1 when not told). */
  readonly count?: number;
}

const SHARD_NAME = /^(.*?)(\d{5})-of-(\d{5})(.*)$/;

/**
 * Commits temp files given by their final paths, by the protocol above: the files are grouped by directory and each
 * group is one file set, named by its shard names (`<base>SSSSS-of-NNNNN<rest>`, all alike; windowed names make one
 * set per window and pane: `commitFileSet` with the sink's set replaces a whole windowed run). One run id for the call
 * unless given; the run's temp dir (in each directory) is removed afterwards, and so are emptied `.riffle-tmp-*` dirs
 * of the temp files.
 *
 * @example
 *   commitRenames([{ tempPath: f.close().tempPath, finalPath: 'out/part-00000-of-00001.jsonl' }]);
 */
export function commitRenames(renames: readonly Rename[], o: { runId?: string } = {}): void {
  const runId = o.runId ?? newRunId();
  const groups = new Map<string, { set: FileSet; files: CommitFile[] }>();
  for (const r of renames) {
    const dir = dirname(r.finalPath);
    const name = basename(r.finalPath);
    const m = SHARD_NAME.exec(name);
    if (!m) throw new ConfigError(`cannot commit ${r.finalPath}: not a shard name (<prefix>-SSSSS-of-NNNNN<suffix>)`);
    const key = `${dir}\0${m[1]}\0${m[4]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { set: { dir, base: m[1]!, rest: m[4]! }, files: [] }));
    g.files.push({ tempPath: r.tempPath, name, count: r.count ?? -1, bytes: statSync(r.tempPath, { throwIfNoEntry: false })?.size ?? statSync(r.finalPath, { throwIfNoEntry: false })?.size ?? 0 });
  }
  for (const { set, files } of groups.values()) {
    mkdirSync(set.dir, { recursive: true });
    const tempDir = join(set.dir, `${TEMP_PREFIX}${runId}`);
    const made = !exists(tempDir);
    try {
      commitFileSet(set, files, { runId, tempDir });
    } finally {
      if (made) rmSync(tempDir, { recursive: true, force: true });
    }
  }
  for (const dir of new Set(renames.map((r) => dirname(r.tempPath)))) removeTempDirIfEmpty(dir);
}

/** Removes a `.riffle-tmp-*` dir if it is empty (never any other dir). */
export function removeTempDirIfEmpty(dir: string): void {
  if (!basename(dir).startsWith(TEMP_PREFIX)) return;
  try {
    rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
}

function adopted(dir: string, name: string): CommittedFile {
  return { name, count: -1, bytes: statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0 };
}

/** Publishes a manifest: temp file in the run's temp dir, fsync, rename over `_SUCCESS`, fsync the directory. */
function publish(set: FileSet, manifest: CommitManifest, tempDir: string): void {
  const tmp = join(tempDir, `${COMMIT_MARKER}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const data = Buffer.from(`${JSON.stringify(manifest)}\n`);
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(set.dir, COMMIT_MARKER));
  } catch (e) {
    throw commitFailure(set, `cannot write ${join(set.dir, COMMIT_MARKER)}: ${(e as Error).message}`, e, 'check free space and permissions of the output directory');
  }
  fsyncDir(set.dir);
}

/**
 * Takes the directory's commit lock: the lock file is made whole in the temp dir and linked into place (link fails
 * if the lock exists), so a lock never exists without its owner's run id. A lock whose run is dead is broken. Returns
 * the release function.
 */
function lock(dir: string, runId: string, tempDir: string): () => void {
  const path = join(dir, LOCK);
  const mine = join(tempDir, 'lock');
  const fd = openSync(mine, 'w');
  try {
    writeSync(fd, runId);
  } finally {
    closeSync(fd);
  }
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    try {
      linkSync(mine, path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RiffleError('FILE_COMMIT_FAILED', `cannot lock ${dir} for a commit: ${(e as Error).message}`, { domain: 'external', cause: e });
      }
    }
    let holder: string;
    try {
      holder = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    if (holder === runId) break; // a retry of our own commit after a failure that kept it
    if (runIdLiveness(holder) === 'dead' || (runIdLiveness(holder) === 'unknown' && Date.now() - newestMtime(path) > 600_000)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new RiffleError('FILE_COMMIT_LOCKED', `another run (${holder}) has been committing to ${dir} for over ${LOCK_TIMEOUT_MS / 1000} s`, {
        domain: 'external',
        hint: `if no other job writes to ${dir}, delete ${path} and rerun`,
      });
    }
    sleepSync(wait);
  }
  rmSync(mine, { force: true });
  return () => {
    try {
      if (readFileSync(path, 'utf8') === runId) unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Fsyncs a directory so that renames in it are durable; best effort where a platform cannot. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // ignored: durability of the renames then rests on the file system's own ordering
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function commitFailure(set: FileSet, message: string, cause: unknown, hint: string): RiffleError {
  return new RiffleError('FILE_COMMIT_FAILED', `commit to ${join(set.dir, `${set.base}*${set.rest}`)} failed: ${message}`, {
    domain: 'external',
    cause,
    context: { dir: set.dir },
    hint,
  });
}

/** RIFFLE_COMMIT_DELAY_MS: a pause after each commit step, so that the kill test can hit every step. */
function testDelayMs(): number {
  const v = Number(process.env.RIFFLE_COMMIT_DELAY_MS ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}
