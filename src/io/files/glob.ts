import { stat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { ConfigError } from '../../model/index.ts';

/**
 * Expands file patterns into a sorted, deduplicated list of absolute file paths.
 *
 * Each pattern is, in order of preference: an existing file (used as is, even if its name contains glob characters),
 * an existing directory (its non-hidden files, not recursive), or a glob (`data/*.csv`, `logs/**\/*.gz`). Globs never
 * match hidden files or folders, so the `.riffle-tmp-*` folders of writers in progress stay invisible.
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
    const matches = await expandOne(pattern);
    if (matches.length === 0) {
      throw new ConfigError(`no file matches '${pattern}' (working directory: ${process.cwd()})`, {
        context: { pattern, cwd: process.cwd() },
        hint: 'check the path; relative patterns resolve against the working directory, and hidden files are not matched',
      });
    }
    for (const m of matches) found.add(m);
  }
  return [...found].sort();
}

async function expandOne(pattern: string): Promise<string[]> {
  const info = await stat(pattern).catch(() => undefined);
  if (info?.isFile()) return [resolve(pattern)];
  if (info?.isDirectory()) {
    const entries = await readdir(pattern, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => resolve(join(pattern, e.name)));
  }
  if (!isDynamicPattern(pattern)) return [];
  return glob(pattern, { absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
}
