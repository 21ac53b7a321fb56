import { stat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { COMMIT_MARKER, committedView, readCommitManifest, type FileSetEntry } from './commit-manifest.ts';

/**
 * Expands file patterns into a sorted, deduplicated list of absolute file paths.
 *
 * Each pattern is, in order of preference: an existing file (used as is, even if its name contains glob characters),
 * an existing directory (its non-hidden files, not recursive), or a glob (`data/*.csv`, `logs/**\/*.gz`). Globs never
 * match hidden files or folders, so the `.riffle-tmp-*` folders of writers in progress stay invisible.
 * A directory with a `_SUCCESS` manifest (written by Riffle's file sinks: file-commit.ts) shows only committed files:
 * the files of a sink's set that the manifest lists, and any file that belongs to no set; never `_SUCCESS` itself. So
 * a reader sees a sink's previous complete output or its new complete output, never part of a commit.
 * A pattern that matches no file is a `ConfigError`: a silent empty read is almost always a typo.
 *
 * @example
 *   await expandPaths(['in/a.csv', 'in/2024-*.csv.gz']) // ['/abs/in/2024-01.csv.gz', '/abs/in/a.csv']
 */
export async function expandPaths(patterns: string | readonly string[]): Promise<string[]> {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (list.length === 0) throw new ConfigError('no file pattern given', { hint: 'pass a path or a glob such as data/*.csv' });
  const found = new Set<string>();
  for (const pattern of list) {
    const { files, replacing } = await expandOne(pattern);
    if (files.length === 0) {
      if (replacing.length > 0) {
        const [dir, set] = replacing[0]!;
        throw new ConfigError(`no committed file matches '${pattern}': the output ${join(dir, `${set.base}*${set.rest}`)} is being replaced by another run, or its commit was interrupted`, {
          context: { pattern, dir },
          hint: 'wait for the writing job to end, or rerun it',
        });
      }
      throw new ConfigError(`no file matches '${pattern}' (working directory: ${process.cwd()})`, {
        context: { pattern, cwd: process.cwd() },
        hint: 'check the path; relative patterns resolve against the working directory, and hidden files are not matched',
      });
    }
    for (const m of files) found.add(m);
  }
  return [...found].sort();
}

interface Expansion {
  readonly files: string[];
  /** Sets hidden because a commit is replacing them, with their directory (for the error of an empty match). */
  readonly replacing: Array<[string, FileSetEntry]>;
}

/** A commit changed a manifest while it was read this many times in a row: give up. */
const MAX_RETRIES = 20;

async function expandOne(pattern: string): Promise<Expansion> {
  const info = await stat(pattern).catch(() => undefined);
  if (info?.isFile()) return { files: [resolve(pattern)], replacing: [] };
  if (!info?.isDirectory() && !isDynamicPattern(pattern)) return { files: [], replacing: [] };
  const list = async (): Promise<Map<string, string[]>> => {
    let matches: string[];
    if (info?.isDirectory()) {
      const entries = await readdir(pattern, { withFileTypes: true });
      matches = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => resolve(join(pattern, e.name)));
    } else {
      matches = await glob(pattern, { absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
    }
    const byDir = new Map<string, string[]>();
    for (const m of matches) {
      const dir = dirname(m);
      let names = byDir.get(dir);
      if (!names) byDir.set(dir, (names = []));
      names.push(basename(m));
    }
    return byDir;
  };
  // A commit renames files and publishes manifests while we list: a listing is consistent when each directory's
  // manifest is the same before and after it (the protocol changes what readers see only with the manifest).
  let dirs = [...(await list()).keys()];
  for (let attempt = 0; ; attempt++) {
    const before = new Map(dirs.map((d) => [d, readCommitManifest(d)]));
    const byDir = await list();
    const files: string[] = [];
    const replacing: Array<[string, FileSetEntry]> = [];
    let stable = true;
    for (const [dir, names] of byDir) {
      const manifest = before.get(dir);
      if (manifest === undefined || readCommitManifest(dir).text !== manifest.text) {
        stable = false;
        break;
      }
      const view = committedView(manifest.manifest, names);
      if (info?.isDirectory() && view.missing.length > 0) {
        throw new RiffleError('FILE_SET_INCOMPLETE', `${dir}: ${view.missing.length} committed file(s) are missing (${view.missing.slice(0, 3).join(', ')}${view.missing.length > 3 ? ', …' : ''})`, {
          domain: 'external',
          context: { dir, missing: view.missing.slice(0, 10) },
          hint: `the output was changed after its commit: rerun the job that writes it, or delete ${join(dir, COMMIT_MARKER)} to read the files that are there`,
        });
      }
      for (const n of view.visible) files.push(join(dir, n));
      for (const s of view.replacing) replacing.push([dir, s]);
    }
    if (stable) return { files, replacing };
    dirs = [...byDir.keys()];
    if (attempt >= MAX_RETRIES) {
      throw new RiffleError('FILE_SET_CHANGING', `the files of '${pattern}' kept changing while they were listed (a job commits to them repeatedly)`, {
        domain: 'external',
        hint: 'read them when the writing job has ended',
      });
    }
  }
}
