/**
 * The object-store port on a local directory — what the lakehouse always did on disk, behind the port: put-if-absent
 * writes a complete temporary file and hard-links it to its name (`link` fails with EEXIST if the name is taken, so of
 * two racing writers exactly one wins and no reader sees a partial file); put writes a temporary file and renames it.
 *
 * Keys never leave the root (checked segment by segment), and symbolic links under the root are never followed:
 * reads open with O_NOFOLLOW and every parent directory below the root is checked with `lstat`. Filesystem errors
 * other than "absent" are thrown as Node raised them (with their `code`), so callers keep their messages.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkKey, type ObjectMeta, type ObjectStore, ObjectStoreError, toBytes } from './object-store.ts';

const absent = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * A directory as an object store: key `a/b.json` is the file `<root>/a/b.json`.
 *
 * @example
 * const store = new LocalObjectStore('/data/events');
 * await store.putIfAbsent('_delta_log/00000000000000000000.json', '{"commitInfo":{}}\n');
 */
export class LocalObjectStore implements ObjectStore {
  readonly url: string;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.url = this.root;
  }

  /** The file of a key, after checking the key stays in the root and no directory below the root is a link. */
  async #path(key: string, checkParents = true): Promise<string> {
    checkKey(key);
    const segments = key.split('/');
    if (checkParents) {
      let dir = this.root;
      for (const s of segments.slice(0, -1)) {
        dir = join(dir, s);
        const st = await lstat(dir).catch((e: unknown) => { if (absent(e)) return undefined; throw e; });
        if (st === undefined) break;
        if (st.isSymbolicLink()) throw this.#linkError(key, dir);
      }
    }
    return join(this.root, ...segments);
  }

  #linkError(key: string, path: string): ObjectStoreError {
    return new ObjectStoreError('OBJECT_KEY_INVALID', `object '${key}' of ${this.root} is a symbolic link (or under one: ${path}); Riffle's stores never follow links`, {
      domain: 'user', hint: 'replace the link with the file or directory it points at',
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = await this.#path(key);
    let handle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (absent(e)) return undefined;
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw this.#linkError(key, path);
      throw e;
    }
    try {
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const path = await this.#path(key);
    let handle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (absent(e)) throw new ObjectStoreError('OBJECT_NOT_FOUND', `object '${key}' of ${this.root} does not exist`);
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw this.#linkError(key, path);
      throw e;
    }
    try {
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) throw new ObjectStoreError('OBJECT_TRUNCATED', `object '${key}' of ${this.root} ended at byte ${start + done}, ${end} were expected`);
        done += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const path = await this.#path(key);
    const st = await lstat(path).catch((e: unknown) => { if (absent(e)) return undefined; throw e; });
    if (st === undefined) return undefined;
    if (st.isSymbolicLink()) throw this.#linkError(key, path);
    if (!st.isFile()) return undefined;
    return { key, size: st.size, lastModified: st.mtimeMs };
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    const path = await this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${key.split('/').pop() as string}.${randomUUID()}.tmp`);
    await writeFile(tmp, toBytes(data), { flag: 'wx' });
    try {
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    const path = await this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    return writeFileIfAbsent(path, toBytes(data));
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    if (prefix !== '') checkKey(prefix, true);
    // Start from the deepest directory the prefix names; keep entries whose key starts with the prefix.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    const out: ObjectMeta[] = [];
    const walk = async (relDir: string): Promise<void> => {
      const dir = relDir === '' ? this.root : join(this.root, ...relDir.split('/'));
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (absent(e)) return;
        throw e;
      }
      for (const entry of entries) {
        const key = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const st = await lstat(join(dir, entry.name)).catch((e: unknown) => { if (absent(e)) return undefined; throw e; });
          if (st !== undefined) out.push({ key, size: st.size, lastModified: st.mtimeMs });
        } // symbolic links (and sockets, fifos) are not objects
      }
    };
    if (base === '' || (await lstat(join(this.root, ...base.split('/'))).then((s) => s.isDirectory(), () => false))) await walk(base);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const path = await this.#path(key);
    await unlink(path).catch((e: unknown) => { if (!absent(e)) throw e; });
  }
}

/**
 * Writes `path` only if nothing is there, atomically: a temporary file beside it, then `link` (EEXIST: taken, false).
 * Readers never see a partial file; of concurrent writers exactly one wins. The Delta log's local commits use it too.
 */
export async function writeFileIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  await writeFile(tmp, data, { flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined); // best effort: a leftover .tmp is never read
  }
}
