/**
 * The `_delta_log` directory of a table on the local filesystem: listing commits and checkpoints, reading commits,
 * and writing a commit with put-if-absent semantics (PROTOCOL.md "Delta Log Entries", "Creation of New Log Entries").
 *
 * Put-if-absent: the commit is written in full to a temporary file, then hard-linked to its final name with
 * `fs.link`, which fails with EEXIST if that version exists. So a version file appears atomically and complete, and
 * of two writers racing for one version exactly one wins. A writer killed before the link leaves only a temporary
 * file (`.*.tmp`), which no reader looks at.
 *
 * A table at an object-store URL (`s3://…`, `az://…`, see src/object-store) keeps its log in the store: listing is a
 * prefix listing, and put-if-absent is the service's conditional create (S3 `If-None-Match: *`), with the same
 * guarantee — of two writers racing for one version exactly one wins, the other re-reads and retries through the
 * conflict checker. The local code below is unchanged; it is the local store's algorithm.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Action, parseCommit, serializeCommit } from './actions.ts';
import type { DataPathOptions } from './data-path.ts';
import { DeltaTableError } from './errors.ts';
import { isObjectStoreUrl, type ObjectStore, ObjectStoreError, openObjectStore, writeFileIfAbsent } from '../object-store/index.ts';

const COMMIT_RE = /^(\d{20})\.json$/;
const CHECKPOINT_RE = /^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$/;
const V2_CHECKPOINT_RE = /^(\d{20})\.checkpoint\.[^.]+\.(?:json|parquet)$/;

/**
 * A checkpoint found in the log: its version and its files (one for a classic checkpoint, several for a multi-part).
 *
 * @example
 * const ref: CheckpointRef = { version: 10, files: ['00000000000000000010.checkpoint.parquet'] };
 */
export interface CheckpointRef {
  readonly version: number;
  readonly files: readonly string[];
}

/**
 * What the log directory holds.
 *
 * @example
 * const { commits, checkpoints } = await new DeltaLog('/data/t').list();
 */
export interface LogListing {
  /** Commit versions present, ascending. */
  readonly commits: readonly number[];
  /** Complete checkpoints, ascending by version. */
  readonly checkpoints: readonly CheckpointRef[];
  /** Whether a UUID-named (v2) checkpoint is present (Riffle cannot read those). */
  readonly hasV2Checkpoint: boolean;
}

/**
 * Options of a table's log: whether data files outside the table may be read, and where warnings go.
 *
 * @example
 * new DeltaLog('/data/clone', { allowExternalFiles: true, onWarning: (m) => console.warn(m) });
 */
export interface DeltaLogOptions extends DataPathOptions {
  /** Receives what readers worked around (default: `process.emitWarning`). */
  readonly onWarning?: (message: string) => void;
}

/**
 * `%020d` — the zero-padded version of log file names.
 *
 * @example
 * versionName(12); // '00000000000000000012'
 */
export function versionName(version: number): string {
  return String(version).padStart(20, '0');
}

/**
 * A table's `_delta_log` directory.
 *
 * @example
 * const log = new DeltaLog('/data/events');
 * const won = await log.tryWrite(3, actions); // false if version 3 already exists
 */
export class DeltaLog {
  readonly tablePath: string;
  readonly dir: string;
  /** Whether the log may name data files outside the table (absolute URIs; see data-path.ts). Default false. */
  readonly allowExternalFiles: boolean;
  private readonly onWarning: ((message: string) => void) | undefined;
  /** The object store of a table at a URL (undefined for a local directory). */
  readonly store: ObjectStore | undefined;

  constructor(tablePath: string, options: DeltaLogOptions = {}) {
    this.allowExternalFiles = options.allowExternalFiles === true;
    this.onWarning = options.onWarning;
    if (isObjectStoreUrl(tablePath)) {
      this.store = openObjectStore(tablePath);
      this.tablePath = this.store.url;
      this.dir = `${this.store.url}/_delta_log`;
      return;
    }
    this.store = undefined;
    this.tablePath = tablePath;
    this.dir = join(tablePath, '_delta_log');
  }

  /** Names of the objects directly under `_delta_log/` in the table's store. */
  async #storeNames(store: ObjectStore): Promise<string[]> {
    const base = '_delta_log/';
    return (await store.list(base)).map((o) => o.key.slice(base.length)).filter((n) => n !== '' && !n.includes('/'));
  }

  /** Reports something readers worked around (an unreadable checkpoint skipped): `onWarning`, else a process warning. */
  warn(message: string): void {
    if (this.onWarning) this.onWarning(message);
    else process.emitWarning(message, { code: 'RIFFLE_DELTA_LOG' });
  }

  /**
   * Lists commits and checkpoints. An absent log directory lists as empty (so does a table path that is a file, or
   * under one: there is no table there either).
   */
  async list(): Promise<LogListing> {
    let names: string[];
    try {
      names = this.store !== undefined ? await this.#storeNames(this.store) : await readdir(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { commits: [], checkpoints: [], hasV2Checkpoint: false };
      if (code === 'EACCES' || code === 'EPERM') {
        throw new DeltaTableError('DELTA_LOG_CORRUPT', `the log directory ${this.dir} cannot be read (${code})`, { hint: 'check the permissions of the table directory', cause: e });
      }
      throw e;
    }
    const commits: number[] = [];
    const parts = new Map<number, { total: number; files: string[] }>();
    let hasV2Checkpoint = false;
    for (const name of names) {
      const c = COMMIT_RE.exec(name);
      if (c) { commits.push(Number(c[1])); continue; }
      const k = CHECKPOINT_RE.exec(name);
      if (k) {
        const version = Number(k[1]);
        const total = k[3] === undefined ? 1 : Number(k[3]);
        const entry = parts.get(version) ?? { total, files: [] };
        if (entry.total === total) entry.files.push(name);
        parts.set(version, entry);
        continue;
      }
      if (V2_CHECKPOINT_RE.test(name)) hasV2Checkpoint = true;
    }
    commits.sort((a, b) => a - b);
    const checkpoints = [...parts.entries()]
      .filter(([, e]) => e.files.length === e.total) // a multi-part checkpoint with a missing part is incomplete
      .map(([version, e]) => ({ version, files: e.files.sort() }))
      .sort((a, b) => a.version - b.version);
    return { commits, checkpoints, hasV2Checkpoint };
  }

  /** Path of the commit file of `version`. */
  commitPath(version: number): string {
    if (this.store !== undefined) return `${this.dir}/${versionName(version)}.json`;
    return join(this.dir, `${versionName(version)}.json`);
  }

  /**
   * Reads, parses and validates the commit of `version`. A missing file is DELTA_VERSION_NOT_FOUND; one that is not
   * valid UTF-8, not JSON lines, empty, or holds a malformed action is DELTA_LOG_CORRUPT naming the file and line.
   */
  async readCommit(version: number): Promise<Action[]> {
    let bytes: Uint8Array;
    const path = this.commitPath(version);
    try {
      bytes = this.store !== undefined ? await this.#storeGet(`_delta_log/${versionName(version)}.json`) : await readFile(path);
    } catch (cause) {
      if (cause instanceof ObjectStoreError) throw cause; // the service failed: not a damaged log
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `commit ${version} of ${this.tablePath} does not exist (${path})`, { cause });
      throw new DeltaTableError('DELTA_LOG_CORRUPT', `commit ${version} of ${this.tablePath} cannot be read (${path}: ${code ?? (cause as Error).message})`, { cause });
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new DeltaTableError('DELTA_LOG_CORRUPT', `Delta log file ${path} is not valid UTF-8`, { cause, hint: 'the log is damaged; restore the file from a backup' });
    }
    return parseCommit(text, version, path);
  }

  /** The modification time (ms) of the commit file of `version`: a commit's timestamp per the protocol. */
  async commitFileTime(version: number): Promise<number> {
    if (this.store !== undefined) {
      const meta = await this.store.head(`_delta_log/${versionName(version)}.json`);
      if (meta === undefined) throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `commit ${version} of ${this.tablePath} does not exist (${this.commitPath(version)})`);
      return meta.lastModified;
    }
    return (await stat(this.commitPath(version))).mtimeMs;
  }

  /**
   * Writes the commit of `version` if no commit of that version exists. Returns false when another writer already
   * holds the version. The file appears atomically (hard link of a complete temporary file).
   */
  async tryWrite(version: number, actions: readonly Action[]): Promise<boolean> {
    if (this.store !== undefined) return this.store.putIfAbsent(`_delta_log/${versionName(version)}.json`, serializeCommit(actions));
    await mkdir(this.dir, { recursive: true });
    return writeFileIfAbsent(this.commitPath(version), serializeCommit(actions));
  }

  /**
   * Writes a file into the log directory atomically (temporary file + rename), replacing any existing one. Used for
   * checkpoints and `_last_checkpoint`, whose content for a version is the same whoever writes it.
   */
  async replaceFile(name: string, data: Uint8Array | string): Promise<void> {
    if (this.store !== undefined) return this.store.put(`_delta_log/${name}`, data);
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, join(this.dir, name));
  }

  /** Names of every file in the log directory (empty when it does not exist). */
  async listNames(): Promise<string[]> {
    if (this.store !== undefined) return this.#storeNames(this.store);
    try {
      return await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Modification time (ms) of a file of the log directory, or undefined if absent. */
  async fileTime(name: string): Promise<number | undefined> {
    if (this.store !== undefined) return (await this.store.head(`_delta_log/${name}`))?.lastModified;
    try {
      return (await stat(join(this.dir, name))).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Deletes a file of the log directory (log cleanup); an absent file is not an error. */
  async deleteFile(name: string): Promise<void> {
    if (this.store !== undefined) return this.store.delete(`_delta_log/${name}`);
    await unlink(join(this.dir, name)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  }

  /** Reads a file of the log directory, or undefined if absent. */
  async readOptional(name: string): Promise<Buffer | undefined> {
    if (this.store !== undefined) {
      const bytes = await this.store.get(`_delta_log/${name}`);
      return bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    try {
      return await readFile(join(this.dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** A log object's bytes; absent reads as ENOENT, as a local file would, so callers keep one error path. */
  async #storeGet(key: string): Promise<Uint8Array> {
    const bytes = await (this.store as ObjectStore).get(key);
    if (bytes === undefined) throw Object.assign(new Error(`no object ${this.tablePath}/${key}`), { code: 'ENOENT' });
    return bytes;
  }
}
