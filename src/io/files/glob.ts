import { existsSync } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { lazyModule } from '../lazy-module.ts';
import { COMMIT_MARKER, committedView, readCommitManifest } from './commit-manifest.ts';
import { isObjectInput } from './input-file.ts';
import { expandObjectPattern } from './object-glob.ts';

/**
 * Expands file patterns into a sorted, deduplicated list of absolute file paths.
 *
 * Each pattern is, in order of preference: an existing file (used as is, even if its name contains glob characters),
 * an existing directory (its non-hidden files, not recursive), or a glob (`data/*.csv`, `logs/**\/*.gz`). Globs never
 * match hidden files or folders, so the `.riffle-tmp-*` folders of writers in progress stay invisible.
 * A directory with a `_SUCCESS` manifest (written by Riffle's file sinks: file-commit.ts) shows only committed files:
 * the files of a sink's set that the manifest lists, and any file that belongs to no set; never `_SUCCESS` itself. So
 * a reader sees a sink's previous complete output or its new complete output, never part of a commit. (A file of a
 * commit whose renames are under way is read from the writer's temp dir; a reader racing a writer that then deletes
 * an old file can still fail to open it — with an error, never with a silently partial read.)
 * Object-store URLs (`s3://bucket/raw/*.csv`, `az://…`, `abfss://…`) are expanded by listing (object-glob.ts), with the
 * same rules; their files are URLs.
 * A pattern that matches no file is a `ConfigError`: a silent empty read is almost always a typo.
 *
 * @example
 *   await expandPaths(['in/a.csv', 'in/2024-*.csv.gz']) // ['/abs/in/2024-01.csv.gz', '/abs/in/a.csv']
 */
export async function expandPaths(patterns: string | readonly string[]): Promise<string[]> {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (list.length === 0) throw new ConfigError('no file pattern given', { hint: 'pass a path or a glob such as data/*.csv' });
  const found = new Map<string, string>(); // the file's name in its directory → where to read it
  for (const pattern of list) {
    const files = await expandOne(pattern);
    if (files.length === 0 && isObjectInput(pattern)) {
      throw new ConfigError(`no object matches '${pattern}'`, {
        context: { pattern },
        hint: 'check the bucket and prefix; hidden names (a segment starting with ".") are not matched',
      });
    }
    if (files.length === 0) {
      throw new ConfigError(`no file matches '${pattern}' (working directory: ${process.cwd()})`, {
        context: { pattern, cwd: process.cwd() },
        hint: 'check the path; relative patterns resolve against the working directory, and hidden files are not matched',
      });
    }
    for (const [name, at] of files) found.set(name, at);
  }
  return [...found.keys()].sort().map((name) => found.get(name)!);
}

/** A commit changed a manifest while it was read this many times in a row: give up. */
const MAX_RETRIES = 20;

/** The glob matcher (and its dependencies), loaded when a pattern is first expanded, not when Riffle is imported. */
const tinyglobby = lazyModule('tinyglobby', () => import('tinyglobby'));

async function expandOne(pattern: string): Promise<Array<[string, string]>> {
  if (isObjectInput(pattern)) return expandObjectPattern(pattern);
  const info = await stat(pattern).catch(() => undefined);
  if (info?.isFile()) return [[resolve(pattern), resolve(pattern)]];
  const { glob, isDynamicPattern } = await tinyglobby.load();
  if (!info?.isDirectory() && !isDynamicPattern(pattern)) return [];
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
    const files: Array<[string, string]> = [];
    let stable = true;
    for (const [dir, names] of byDir) {
      const manifest = before.get(dir);
      if (manifest === undefined || readCommitManifest(dir).text !== manifest.text) {
        stable = false;
        break;
      }
      const view = committedView(manifest.manifest, names, (rel) => existsSync(join(dir, rel)));
      if (info?.isDirectory() && view.missing.length > 0) {
        throw new RiffleError('FILE_SET_INCOMPLETE', `${dir}: ${view.missing.length} committed file(s) are missing (${view.missing.slice(0, 3).join(', ')}${view.missing.length > 3 ? ', …' : ''})`, {
          domain: 'external',
          context: { dir, missing: view.missing.slice(0, 10) },
          hint: `the output was changed after its commit: rerun the job that writes it, or delete ${join(dir, COMMIT_MARKER)} to read the files that are there`,
        });
      }
      for (const n of view.visible) files.push([join(dir, basename(n)), join(dir, n)]);
    }
    if (stable) return files;
    dirs = [...byDir.keys()];
    if (attempt >= MAX_RETRIES) {
      throw new RiffleError('FILE_SET_CHANGING', `the files of '${pattern}' kept changing while they were listed (a job commits to them repeatedly)`, {
        domain: 'external',
        hint: 'read them when the writing job has ended',
      });
    }
  }
}
