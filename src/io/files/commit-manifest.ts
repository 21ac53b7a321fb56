import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RiffleError } from '../../model/index.ts';

/**
 * The `_SUCCESS` manifest of an output directory: which files of which file set are committed (see file-commit.ts for
 * the protocol that writes it). Readers honour it: in a directory with a manifest, a file that belongs to a file set
 * (its name matches the set's pattern) is read only if the manifest lists it; other files of the directory (a user's
 * own, or outputs written by earlier versions without a manifest) are read as before. An empty or non-JSON `_SUCCESS`
 * (Hadoop and Spark write an empty one) only hides itself.
 *
 * @example
 *   // out/_SUCCESS
 *   { "format": "riffle-files", "version": 1, "sets": [{ "base": "part-", "rest": ".jsonl",
 *     "runId": "mj1x0q2a-3f9c2b1e-4121.1kq9-a1b2c3", "commits": 1, "time": "2026-12-06T22:00:00.000Z",
 *     "files": [{ "name": "part-00000-of-00001.jsonl", "count": 42, "bytes": 1234 }] }] }
 */

/** The marker's name: no data glob of Riffle's writers' names matches it. */
export const COMMIT_MARKER = '_SUCCESS';

/** A committed file, by its name in the directory. */
export interface CommittedFile {
  readonly name: string;
  /** Records written to it (-1: not known, e.g. a file of an earlier version that a commit adopted). */
  readonly count: number;
  /** Its size in bytes. */
  readonly bytes: number;
}

/**
 * One sink's files in a directory: `<base>[<window>-<pane>-]SSSSS-of-NNNNN<rest>`, e.g. base `part-`, rest `.jsonl.gz`.
 */
/**
 * The set's entry after a commit of `files` by run `owner`: the files the same run committed before (`kept`) and the
 * new ones; the commit count goes on for the same run and starts again for another (`prev`: the entry before).
 */
export function nextFileSetEntry(
  set: { readonly base: string; readonly rest: string },
  owner: string,
  prev: FileSetEntry | undefined,
  kept: readonly CommittedFile[],
  files: readonly { readonly name: string; readonly count: number; readonly bytes: number }[],
): FileSetEntry {
  return {
    base: set.base,
    rest: set.rest,
    runId: owner,
    commits: prev && prev.runId === owner ? prev.commits + 1 : 1,
    time: new Date().toISOString(),
    files: [...kept, ...files.map((f) => ({ name: f.name, count: f.count, bytes: f.bytes }))],
  };
}

export interface FileSetEntry {
  readonly base: string;
  readonly rest: string;
  /** The run whose files these are: a later commit by the same run adds to them, another run replaces them. */
  readonly runId: string;
  /** Commits the run made to this set (1 for a batch write, one per pane for a windowed one). */
  readonly commits: number;
  /** When the last commit happened (ISO-8601). */
  readonly time: string;
  /** The committed files: the set readers see. */
  readonly files: readonly CommittedFile[];
  /**
   * Committed files that replace a file of the same name and are still being moved there from the run's temp dir
   * `dir` (`.riffle-tmp-<runId>`, in this directory): while `<dir>/<name>` exists, it is the committed file. Set only
   * between a commit point and the end of its renames (or after a crash there, until the next commit finishes them).
   */
  readonly pending?: { readonly dir: string; readonly names: readonly string[] };
}

export interface CommitManifest {
  readonly format: 'riffle-files';
  readonly version: 1;
  readonly sets: readonly FileSetEntry[];
}

/** A file set's name pattern: matches its files of every shard count, window and pane, and nothing else. */
export function fileSetPattern(base: string, rest: string): RegExp {
  const window = '(?:.+-pane-\\d{5}-[a-z_]+(?:-final)?-)?';
  return new RegExp(`^${escape(base)}${window}\\d{5}-of-\\d{5}${escape(rest)}$`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A `_SUCCESS` this module cannot use. */
export class CommitManifestError extends RiffleError {
  constructor(path: string, reason: string) {
    super('FILE_MANIFEST_INVALID', `${path} is not a readable Riffle commit manifest: ${reason}`, {
      domain: 'external',
      context: { path },
      hint: `rerun the job that writes ${path.slice(0, -COMMIT_MARKER.length - 1) || '.'}, or delete ${path} to read every file of the directory`,
    });
  }
}

/**
 * Parses a manifest's text: undefined for an empty or foreign marker (no JSON object with Riffle's format field);
 * throws CommitManifestError for one of Riffle's that is damaged.
 */
export function parseCommitManifest(text: string, path: string): CommitManifest | undefined {
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    if (text.includes('"riffle-files"')) throw new CommitManifestError(path, (e as Error).message);
    return undefined;
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== 'riffle-files') return undefined;
  const m = json as CommitManifest;
  if (m.version !== 1) throw new CommitManifestError(path, `version ${String(m.version)} is newer than this Riffle reads (1)`);
  if (!Array.isArray(m.sets)) throw new CommitManifestError(path, '"sets" is not a list');
  const plainName = (n: unknown) => typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[/\\\0]/.test(n);
  for (const s of m.sets) {
    const ok =
      typeof s === 'object' && s !== null && typeof s.base === 'string' && typeof s.rest === 'string' && typeof s.runId === 'string' &&
      Array.isArray(s.files) && s.files.every((f: { name?: unknown } | null) => plainName(f?.name)) &&
      (s.pending === undefined ||
        (typeof s.pending === 'object' && s.pending !== null && typeof s.pending.dir === 'string' && /^\.riffle-tmp-[A-Za-z0-9._-]+$/.test(s.pending.dir) &&
          Array.isArray(s.pending.names) && s.pending.names.every(plainName)));
    if (!ok) throw new CommitManifestError(path, `a file set entry is malformed: ${JSON.stringify(s).slice(0, 200)}`);
  }
  return m;
}

/** Reads a directory's manifest: its text (to detect a change) and what it says; no marker gives text undefined. */
export function readCommitManifest(dir: string): { text: string | undefined; manifest: CommitManifest | undefined } {
  const path = join(dir, COMMIT_MARKER);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { text: undefined, manifest: undefined };
    throw e;
  }
  return { text, manifest: parseCommitManifest(text, path) };
}

/** What a reader sees of a directory's files. */
export interface CommittedView {
  /** The files a reader may read, as paths relative to the directory, in the order given (a pending file: its temp path). */
  readonly visible: string[];
  /** Files the manifest lists as committed that are not among the names given. */
  readonly missing: string[];
}

/**
 * Filters a directory's file names (non-hidden ones, as listed or globbed) by its manifest: the marker itself is
 * never visible; listed files of the sets are (a pending one at its temp path while that exists); a file matching a
 * set's pattern but not listed is not (a file of an uncommitted or interrupted commit, or of an older run); any other
 * file is. `exists` tells whether a path relative to the directory exists (for pending files).
 *
 * @example
 *   committedView(readCommitManifest('out').manifest, ['_SUCCESS', 'part-00000-of-00001.jsonl', 'notes.txt'], existsIn('out')).visible
 *   // ['part-00000-of-00001.jsonl', 'notes.txt']
 */
export function committedView(manifest: CommitManifest | undefined, names: readonly string[], exists: (relative: string) => boolean): CommittedView {
  const visible: string[] = [];
  if (!manifest) {
    for (const n of names) if (n !== COMMIT_MARKER) visible.push(n);
    return { visible, missing: [] };
  }
  const listed = new Map<string, string>(); // name → where to read it
  for (const s of manifest.sets) {
    for (const f of s.files) listed.set(f.name, f.name);
    for (const n of s.pending?.names ?? []) {
      const temp = `${s.pending!.dir}/${n}`;
      if (listed.has(n) && exists(temp)) listed.set(n, temp);
    }
  }
  const patterns = manifest.sets.map((s) => fileSetPattern(s.base, s.rest));
  const given = new Set(names);
  for (const n of names) {
    if (n === COMMIT_MARKER) continue;
    const at = listed.get(n);
    if (at !== undefined) visible.push(at);
    else if (!patterns.some((re) => re.test(n))) visible.push(n);
  }
  const missing = [...listed.keys()].filter((n) => !given.has(n));
  return { visible, missing };
}
