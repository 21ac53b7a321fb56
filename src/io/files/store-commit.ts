import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { isObjectStoreUrl, openObjectStore, type ObjectStore } from '../../object-store/index.ts';
import { COMMIT_MARKER, fileSetPattern, parseCommitManifest, nextFileSetEntry, type CommitManifest, type CommittedFile, type FileSetEntry } from './commit-manifest.ts';
import type { CommitFile, CommitOptions, CommitStep, FileSet } from './file-commit.ts';
import { runIdLiveness } from './run-owner.ts';

/*
 * The commit protocol of file-commit.ts, for an output in an object store (`s3://bucket/out/part`, `az://…`). Files
 * are written locally first, in a staging directory of the machine (`stagingSet`: the run's temp dir and the
 * checkpoints' prepared dir live there, as they live beside a local output); a commit uploads them. An object store
 * has no rename, so every step that renames locally is an upload (or a copy) here, and `_SUCCESS` stays the commit
 * point: readers (object-glob.ts) read a set's objects only if the manifest lists them.
 *
 * Committing files F of run R to set S in the store:
 *  1. Take the output's lock: `.riffle-commit.lock` created with put-if-absent (S3 If-None-Match: *, Azure's
 *     conditional create), holding R's id; a lock of a dead run (same host, process gone), or older than 10 minutes
 *     when its run cannot be checked, is broken. Finish the copies a crash left pending (their manifest says so).
 *  2. Read the manifest M; the objects readers see of S (V) and the ones kept (K) as locally.
 *  3. No entry for S: publish M' = M + S listing V (the guard: unlisted objects of S's pattern are invisible).
 *  4. Upload each file of F: under its final name when that name is not in V (invisible: unlisted), else under
 *     `.riffle-tmp-<R>/<name>` (hidden), since writing over a visible object would change the old set.
 *  5. COMMIT POINT: publish M'' listing K ∪ F, the names staged in the temp prefix as `pending`.
 *  6. Copy each pending object to its final name, delete it from the temp prefix, publish M''' without `pending`.
 *  7. After a run's first commit: delete the objects of S's pattern that no set lists and the temp prefixes of dead
 *     runs (never one a manifest names as pending). Unlock.
 * A crash before 5 leaves readers M or M' (the old set, whole); from 5 on, M'' or M''' (the new set, whole: a pending
 * object is read from the temp prefix while it is there). A rerun publishes its own set once, replacing the crashed
 * run's, and deletes what the crash left.
 */

const TEMP_PREFIX = '.riffle-tmp-';
const LOCK = '.riffle-commit.lock';
const LOCK_TIMEOUT_MS = 120_000;
/** A lock whose run cannot be checked (another host) is broken after this long. */
const STALE_LOCK_MS = 600_000;

/** Whether a file set's directory is in an object store. */
export function isStoreSet(set: FileSet): boolean {
  return isObjectStoreUrl(set.dir);
}

/**
 * The local directory where a write to an object store stages its files (run temp dirs, checkpoints' prepared files):
 * one per output URL under the system's temp dir, the same for every run on this machine (a resumed run finds the
 * prepared files of the run it resumes). A local set is returned as it is.
 *
 * @example
 *   stagingSet({ dir: 's3://lake/out', base: 'part-', rest: '.jsonl' }).dir; // /tmp/riffle-staging/3f1c…
 */
export function stagingSet(set: FileSet): FileSet {
  if (!isStoreSet(set)) return set;
  return { ...set, dir: join(tmpdir(), 'riffle-staging', createHash('sha256').update(set.dir).digest('hex').slice(0, 24)) };
}

async function readManifest(store: ObjectStore, url: string): Promise<CommitManifest | undefined> {
  const bytes = await store.get(COMMIT_MARKER);
  return bytes === undefined ? undefined : parseCommitManifest(new TextDecoder().decode(bytes), `${url}/${COMMIT_MARKER}`);
}

async function publish(store: ObjectStore, manifest: CommitManifest): Promise<void> {
  await store.put(COMMIT_MARKER, `${JSON.stringify(manifest)}\n`);
}

/**
 * Commits local temp files to a file set in an object store by the protocol above; returns the set's committed entry.
 * A retry of the same commit is fine: a file whose temp file is gone and whose object exists counts as uploaded.
 */
export async function commitToStore(set: FileSet, files: readonly CommitFile[], o: Pick<CommitOptions, 'runId' | 'owner' | 'onStep'>): Promise<FileSetEntry> {
  const names = new Set<string>();
  for (const f of files) {
    if (/[/\\]/.test(f.name) || f.name === COMMIT_MARKER || names.has(f.name) || f.name.startsWith('.')) throw new ConfigError(`cannot commit ${JSON.stringify(f.name)} to ${set.dir}: not a unique file name`);
    names.add(f.name);
  }
  const pattern = fileSetPattern(set.base, set.rest);
  const stray = files.find((f) => !pattern.test(f.name));
  if (stray) throw new ConfigError(`cannot commit ${stray.name} to the file set ${set.base}*${set.rest} of ${set.dir}: the name is not one of its shard names`);
  const store = openObjectStore(set.dir);
  const tempDir = `${TEMP_PREFIX}${o.runId}`;
  const step = (s: CommitStep) => o.onStep?.(s);
  const unlock = await lock(store, set.dir, o.runId);
  try {
    // 1. A settled output.
    const manifest = await finishPending(store, await readManifest(store, set.dir));
    step('locked');
    // 2. What readers see now, what stays.
    const sets = [...(manifest?.sets ?? [])];
    const at = sets.findIndex((s) => s.base === set.base && s.rest === set.rest);
    const prev = at >= 0 ? sets[at] : undefined;
    const slot = at >= 0 ? at : sets.length;
    const otherListed = new Set(sets.filter((s) => s !== prev).flatMap((s) => s.files.map((f) => f.name)));
    const onStore = async (): Promise<CommittedFile[]> => (await store.list('')).filter((m) => !m.key.includes('/') && pattern.test(m.key) && !otherListed.has(m.key)).map((m) => ({ name: m.key, count: -1, bytes: m.size }));
    const visible = new Set((prev ? prev.files : await onStore()).map((f) => f.name));
    const owner = o.owner ?? o.runId;
    const kept = prev && prev.runId === owner ? prev.files.filter((f) => !names.has(f.name)) : [];
    const put = (entry: FileSetEntry): CommitManifest => {
      sets[slot] = entry;
      return { format: 'riffle-files', version: 1, sets };
    };
    // 3. The guard.
    if (!prev) await publish(store, put({ base: set.base, rest: set.rest, runId: '', commits: 0, time: new Date().toISOString(), files: await onStore() }));
    step('guarded');
    // 4. Uploads: new names in place, visible names into the temp prefix.
    const pending: string[] = [];
    for (const f of files) {
      const staged = visible.has(f.name);
      const key = staged ? `${tempDir}/${f.name}` : f.name;
      if (staged) pending.push(f.name);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(f.tempPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (await store.head(key)) !== undefined) continue; // uploaded by an earlier attempt
        throw commitFailure(set, `cannot read the temp file ${f.tempPath} of ${f.name}: ${(e as Error).message}`, e);
      }
      await store.put(key, bytes);
      step('renamed-one');
    }
    step('renamed');
    // 5. Commit point.
    const entry = nextFileSetEntry(set, owner, prev, kept, files);
    await publish(store, put(pending.length > 0 ? { ...entry, pending: { dir: tempDir, names: pending } } : entry));
    step('committed');
    // 6. The pending copies.
    if (pending.length > 0) {
      for (const name of pending) await movePending(store, tempDir, name);
      await publish(store, put(entry));
    }
    step('settled');
    // 7. Clean up what no reader sees.
    if (kept.length === 0) {
      const listed = new Set(entry.files.map((f) => f.name));
      for (const f of await onStore()) if (!listed.has(f.name)) await store.delete(f.name);
      await removeDeadTemps(store, o.runId);
    }
    step('cleaned');
    return entry;
  } finally {
    await unlock();
  }
}

/** Copies the pending objects a crash left to their final names and publishes the manifest without `pending`. */
async function finishPending(store: ObjectStore, manifest: CommitManifest | undefined): Promise<CommitManifest | undefined> {
  if (!manifest || !manifest.sets.some((s) => s.pending)) return manifest;
  for (const s of manifest.sets) for (const name of s.pending?.names ?? []) await movePending(store, s.pending!.dir, name);
  const settled: CommitManifest = { ...manifest, sets: manifest.sets.map(({ pending: _pending, ...rest }) => rest) };
  await publish(store, settled);
  return settled;
}

async function movePending(store: ObjectStore, dir: string, name: string): Promise<void> {
  const key = `${dir}/${name}`;
  const bytes = await store.get(key);
  if (bytes === undefined) return; // copied by an earlier attempt
  await store.put(name, bytes);
  await store.delete(key);
}

/** Deletes the temp prefixes of dead runs (never this run's, nor one a manifest names as pending). */
async function removeDeadTemps(store: ObjectStore, runId: string): Promise<void> {
  const manifest = await readManifest(store, store.url);
  const pending = new Set(manifest?.sets.flatMap((s) => (s.pending ? [s.pending.dir] : [])));
  const byRun = new Map<string, { keys: string[]; newest: number }>();
  for (const m of await store.list(TEMP_PREFIX)) {
    const dir = m.key.slice(0, m.key.indexOf('/'));
    if (dir === '' || dir === `${TEMP_PREFIX}${runId}` || pending.has(dir)) continue;
    const e = byRun.get(dir) ?? { keys: [], newest: 0 };
    e.keys.push(m.key);
    e.newest = Math.max(e.newest, m.lastModified);
    byRun.set(dir, e);
  }
  for (const [dir, { keys, newest }] of byRun) {
    const liveness = runIdLiveness(dir.slice(TEMP_PREFIX.length));
    if (liveness === 'alive' || (liveness === 'unknown' && Date.now() - newest < 3_600_000)) continue;
    for (const k of keys) await store.delete(k);
  }
}

/** Takes the output's commit lock (put-if-absent); returns the release function. */
async function lock(store: ObjectStore, url: string, runId: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    if (await store.putIfAbsent(LOCK, runId)) break;
    const bytes = await store.get(LOCK);
    if (bytes === undefined) continue; // released meanwhile
    const holder = new TextDecoder().decode(bytes);
    if (holder === runId) break; // a retry of our own commit
    const liveness = runIdLiveness(holder);
    const age = Date.now() - ((await store.head(LOCK))?.lastModified ?? Date.now());
    if (liveness === 'dead' || (liveness === 'unknown' && age > STALE_LOCK_MS)) {
      await store.delete(LOCK);
      continue;
    }
    if (Date.now() > deadline) {
      throw new RiffleError('FILE_COMMIT_LOCKED', `another run (${holder}) has been committing to ${url} for over ${LOCK_TIMEOUT_MS / 1000} s`, {
        domain: 'external',
        hint: `if no other job writes to ${url}, delete ${url}/${LOCK} and rerun`,
      });
    }
    await sleep(wait);
  }
  return async () => {
    const bytes = await store.get(LOCK).catch(() => undefined);
    if (bytes !== undefined && new TextDecoder().decode(bytes) === runId) await store.delete(LOCK);
  };
}

function commitFailure(set: FileSet, message: string, cause: unknown): RiffleError {
  return new RiffleError('FILE_COMMIT_FAILED', `commit to ${set.dir}/${set.base}*${set.rest} failed: ${message}`, {
    domain: 'external',
    cause,
    context: { dir: set.dir },
    hint: 'check the store and its credentials; rerun the job',
  });
}
