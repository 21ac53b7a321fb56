/**
 * The `_delta_log` directory of a table on the local filesystem: listing commits and checkpoints, reading commits,
 * and writing a commit with put-if-absent semantics (PROTOCOL.md "Delta Log Entries", "Creation of New Log Entries").
 *
 * Put-if-absent: the commit is written in full to a temporary file, then hard-linked to its final name with
 * `fs.link`, which fails with EEXIST if that version exists. So a version file appears atomically and complete, and
 * of two writers racing for one version exactly one wins. A writer killed before the link leaves only a temporary
 * file (`.*.tmp`), which no reader looks at.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Action, parseCommit, serializeCommit } from './actions.ts';
import { DeltaTableError } from './errors.ts';

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

  constructor(tablePath: string) {
    this.tablePath = tablePath;
    this.dir = join(tablePath, '_delta_log');
  }

  /** Lists commits and checkpoints. An absent log directory lists as empty. */
  async list(): Promise<LogListing> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { commits: [], checkpoints: [], hasV2Checkpoint: false };
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
    return join(this.dir, `${versionName(version)}.json`);
  }

  /** Reads and parses the commit of `version`. */
  async readCommit(version: number): Promise<Action[]> {
    let text: string;
    try {
      text = await readFile(this.commitPath(version), 'utf8');
    } catch (cause) {
      throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `commit ${version} of ${this.tablePath} cannot be read`, { cause });
    }
    return parseCommit(text, version);
  }

  /** The modification time (ms) of the commit file of `version`: a commit's timestamp per the protocol. */
  async commitFileTime(version: number): Promise<number> {
    return (await stat(this.commitPath(version))).mtimeMs;
  }

  /**
   * Writes the commit of `version` if no commit of that version exists. Returns false when another writer already
   * holds the version. The file appears atomically (hard link of a complete temporary file).
   */
  async tryWrite(version: number, actions: readonly Action[]): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${versionName(version)}.${randomUUID()}.json.tmp`);
    await writeFile(tmp, serializeCommit(actions), { flag: 'wx' });
    try {
      await link(tmp, this.commitPath(version));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined); // best effort: a leftover .tmp is never read
    }
  }

  /**
   * Writes a file into the log directory atomically (temporary file + rename), replacing any existing one. Used for
   * checkpoints and `_last_checkpoint`, whose content for a version is the same whoever writes it.
   */
  async replaceFile(name: string, data: Uint8Array | string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, join(this.dir, name));
  }

  /** Names of every file in the log directory (empty when it does not exist). */
  async listNames(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Modification time (ms) of a file of the log directory, or undefined if absent. */
  async fileTime(name: string): Promise<number | undefined> {
    try {
      return (await stat(join(this.dir, name))).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Deletes a file of the log directory (log cleanup); an absent file is not an error. */
  async deleteFile(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  }

  /** Reads a file of the log directory, or undefined if absent. */
  async readOptional(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
