/**
 * Local copies of objects, for readers that take only file paths (DuckDB's `read_parquet` without its httpfs
 * extension, which is not available offline). A copy keeps the object's path below its table root (so Hive-style
 * partition directories still read as such), lives in a per-process temporary folder removed when the process exits,
 * and is reused while the object's size is the same (Delta data files never change under one name).
 */
import { createHash, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ObjectStoreError } from './object-store.ts';
import { locateObject } from './open-store.ts';

let cacheDir: string | undefined;

function cacheRoot(): string {
  if (cacheDir === undefined) {
    cacheDir = join(tmpdir(), `riffle-objects-${process.pid}-${randomUUID().slice(0, 8)}`);
    const dir = cacheDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

/**
 * The path of a local copy of the object at `url` (downloaded unless a copy of the same size is there). `root` is the
 * table's URL: the copy keeps the object's path below it.
 *
 * @example
 * const path = await localCopy('s3://lake/t/country=fr/part-0.parquet', 's3://lake/t'); // …/country=fr/part-0.parquet
 */
export async function localCopy(url: string, root: string): Promise<string> {
  const base = root.replace(/\/+$/, '');
  const relative = url.startsWith(`${base}/`) ? url.slice(base.length + 1) : `_external/${createHash('sha256').update(url).digest('hex').slice(0, 24)}.parquet`;
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new ObjectStoreError('OBJECT_KEY_INVALID', `cannot copy '${url.slice(0, 200)}' locally: its path has an empty, '.' or '..' segment`, { domain: 'user' });
  const path = join(cacheRoot(), createHash('sha256').update(base).digest('hex').slice(0, 16), ...segments);
  const { store, key } = locateObject(url);
  const meta = await store.head(key);
  if (meta === undefined) throw Object.assign(new Error(`ENOENT: no such object, open '${url.slice(0, 300)}'`), { code: 'ENOENT', path: url });
  const have = await stat(path).then((s) => s.size, () => -1);
  if (have === meta.size) return path;
  const bytes = await store.get(key);
  if (bytes === undefined) throw Object.assign(new Error(`ENOENT: no such object, open '${url.slice(0, 300)}'`), { code: 'ENOENT', path: url });
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return path;
}

/**
 * Local copies of several objects of one table, at most `limit` downloads at a time, in order.
 *
 * @example
 * const paths = await localCopies(files.map((f) => f.absolutePath), 's3://lake/t');
 */
export async function localCopies(urls: readonly string[], root: string, limit = 8): Promise<string[]> {
  const out: string[] = new Array(urls.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const i = next++;
      out[i] = await localCopy(urls[i], root);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, urls.length) }, worker));
  return out;
}
