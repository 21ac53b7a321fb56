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
 *   { "format": "riffle-files", "version": 1, "sets": [{ "base": "part-", "rest": ".jsonl", "state": "committed",
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
 * `committed`: `files` are the set readers see. `replacing`: a commit is overwriting files of the set, so no file of
 * it is visible until the commit ends; `files` are those the commit keeps (a run extending its own set).
 */
export interface FileSetEntry {
  readonly base: string;
  readonly rest: string;
  readonly state: 'committed' | 'replacing';
  /** The run whose files these are: a later commit by the same run adds to them, another run replaces them. */
  readonly runId: string;
  /** Commits the run made to this set (1 for a batch write, one per pane for a windowed one). */
  readonly commits: number;
  /** When the last commit happened (ISO-8601). */
  readonly time: string;
  readonly files: readonly CommittedFile[];
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
  for (const s of m.sets) {
    const ok =
      typeof s === 'object' && s !== null && typeof s.base === 'string' && typeof s.rest === 'string' && (s.state === 'committed' || s.state === 'replacing') &&
      typeof s.runId === 'string' && Array.isArray(s.files) && s.files.every((f: { name?: unknown } | null) => typeof f?.name === 'string' && !/[/\\]/.test(f.name));
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

/** What a reader sees of a directory's files, and why some are hidden. */
export interface CommittedView {
  /** The names a reader may read, in the order given. */
  readonly visible: string[];
  /** File sets whose files are hidden because a commit is replacing them (or was interrupted while it did). */
  readonly replacing: FileSetEntry[];
  /** Files the manifest lists as committed that are not among the names given. */
  readonly missing: string[];
}

/**
 * Filters a directory's file names (non-hidden ones, as listed or globbed) by its manifest: the marker itself is
 * never visible; listed files of committed sets are; a file matching a set's pattern but not listed is not (a file of
 * an uncommitted or interrupted commit, or of an older run); any other file is.
 *
 * @example
 *   committedView(readCommitManifest('out').manifest, ['_SUCCESS', 'part-00000-of-00001.jsonl', 'notes.txt']).visible
 *   // ['part-00000-of-00001.jsonl', 'notes.txt']
 */
export function committedView(manifest: CommitManifest | undefined, names: readonly string[]): CommittedView {
  const visible: string[] = [];
  const replacing: FileSetEntry[] = [];
  if (!manifest) {
    for (const n of names) if (n !== COMMIT_MARKER) visible.push(n);
    return { visible, replacing, missing: [] };
  }
  const listed = new Set<string>();
  for (const s of manifest.sets) if (s.state === 'committed') for (const f of s.files) listed.add(f.name);
  const patterns = manifest.sets.map((s) => ({ set: s, re: fileSetPattern(s.base, s.rest) }));
  const given = new Set(names);
  for (const n of names) {
    if (n === COMMIT_MARKER) continue;
    if (listed.has(n)) {
      visible.push(n);
      continue;
    }
    const claimedBy = patterns.filter((p) => p.re.test(n));
    if (claimedBy.length === 0) visible.push(n);
    for (const p of claimedBy) if (p.set.state === 'replacing' && !replacing.includes(p.set)) replacing.push(p.set);
  }
  const missing = [...listed].filter((n) => !given.has(n));
  return { visible, replacing, missing };
}
