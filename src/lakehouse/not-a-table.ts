/**
 * The error for a path that holds no Delta table, saying what the path is (missing, a file, a folder without
 * `_delta_log`, an empty log) and how to make a table there; and the check that a new table does not land among a
 * user's own files.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeltaTableError } from './errors.ts';
import { DATA_FILE_NAME } from './data-path.ts';
import { isObjectStoreUrl, openObjectStore } from '../object-store/index.ts';

const HINT = (path: string): string => `to create one use \`riffle table write ${path} --from FILE\` (in code: DeltaTable.create(path, { schema }))`;

/**
 * A `DELTA_TABLE_NOT_FOUND` error describing why `path` is not a Delta table.
 *
 * @example
 * throw await describeMissingTable('/data/notes.csv'); // "/data/notes.csv is not a Delta table: it is a file"
 */
export async function describeMissingTable(path: string): Promise<DeltaTableError> {
  if (isObjectStoreUrl(path)) {
    const any = (await openObjectStore(path).list('')).length > 0;
    return new DeltaTableError('DELTA_TABLE_NOT_FOUND', `${path} is not a Delta table: ${any ? 'no commit or checkpoint under _delta_log/' : 'no object under it'}`, { context: { path }, hint: HINT(path) });
  }
  const what = await stat(path).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing');
  const logWhat = what === 'dir' ? await stat(join(path, '_delta_log')).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'missing') : 'missing';
  const reason = what === 'missing' ? 'the path does not exist'
    : what === 'file' ? 'it is a file, not a table directory'
      : logWhat === 'missing' ? 'no _delta_log directory'
        : logWhat === 'file' ? '_delta_log is not a directory'
          : '_delta_log holds no commit or checkpoint';
  const hint = what === 'file'
    ? `give the folder of a Delta table; to make a table from this file use \`riffle table write <folder> --from ${path}\``
    : HINT(path);
  return new DeltaTableError('DELTA_TABLE_NOT_FOUND', `${path} is not a Delta table: ${reason}`, { context: { path }, hint });
}

/** Entries a folder may hold and still receive a new table: what a Delta writer (maybe a crashed first write) leaves. */
function tableLike(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.') || name === '_delta_log' || name === '_change_data') return true;
  if (isDirectory) return /^[^=]+=/.test(name); // a partition directory
  return DATA_FILE_NAME.test(name);
}

/**
 * Refuses to create a table in a folder that already holds other files (a user's folder, not a table): the table
 * would mix with them, and vacuum would see them as orphans. A missing or empty folder, or one holding only what
 * a Delta writer leaves (data files, partition directories, hidden temporary files), is fine.
 *
 * @example
 * await assertFreeForTable('/data/new-table');
 */
export async function assertFreeForTable(path: string): Promise<void> {
  let entries: { name: string; isDirectory(): boolean }[];
  if (isObjectStoreUrl(path)) {
    // Top-level names under the prefix: a "directory" is a name followed by '/'.
    const names = new Map<string, boolean>();
    for (const o of await openObjectStore(path).list('')) {
      const cut = o.key.indexOf('/');
      names.set(cut < 0 ? o.key : o.key.slice(0, cut), cut >= 0 || names.get(o.key) === true);
    }
    entries = [...names].map(([name, dir]) => ({ name, isDirectory: () => dir }));
  } else try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') {
      throw new DeltaTableError('DELTA_NOT_EMPTY', `cannot create a Delta table at ${path}: it is a file`, { context: { path }, hint: 'give a folder path (new or empty) for the table' });
    }
    throw e;
  }
  const others = entries.filter((e) => !tableLike(e.name, e.isDirectory())).map((e) => e.name).sort();
  if (others.length === 0) return;
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? ` and ${others.length - 5} more` : '');
  throw new DeltaTableError('DELTA_NOT_EMPTY', `cannot create a Delta table at ${path}: the folder is not empty and is not a table (it holds ${shown})`, {
    context: { path },
    hint: 'write the table to a new or empty folder (e.g. a subfolder), or move these files away first; Riffle does not mix a table with other files',
  });
}
