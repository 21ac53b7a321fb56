/**
 * Where checkpoints are kept: an interface (so an object store can come later) and the local directory behind it.
 *
 * Layout of a checkpoint directory `DIR`:
 *
 *   DIR/chk-<id>/op-<n>.bin   one file per operator (n: its index in the job's topological order)
 *   DIR/chk-<id>/_metadata    written last, atomically (temp file, fsync, rename): the checkpoint exists only once
 *                             this file does. It names the job (fingerprint), each part with its size and SHA-256.
 *
 * A `chk-<id>` directory without `_metadata` is a checkpoint that was being written when the process died: it is
 * ignored and removed by the next run. Files are never opened through symbolic links.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileNoFollow, safeStoreDir, safeSubdir, writeFileAtomicAsync } from '../../model/index.ts';

/** The storage of a job's checkpoints. Parts are written first; `complete` makes the checkpoint exist. */
export interface CheckpointStorage {
  /** Where, for messages (a directory, a URL). */
  describe(): string;
  /** Writes part `name` of checkpoint `id` (durable before it resolves; not a checkpoint until `complete`). */
  writePart(id: number, name: string, bytes: Uint8Array): Promise<void>;
  /** Writes the metadata of checkpoint `id` atomically: from here on the checkpoint exists. */
  complete(id: number, metadata: Uint8Array): Promise<void>;
  /** Every checkpoint id present, complete or not, ascending. */
  ids(): Promise<number[]>;
  /** The metadata of checkpoint `id`; undefined when it has none (an incomplete checkpoint). */
  readMetadata(id: number): Promise<Uint8Array | undefined>;
  /** A part of checkpoint `id`; undefined when missing. */
  readPart(id: number, name: string): Promise<Uint8Array | undefined>;
  /** Removes checkpoint `id` and everything in it. */
  remove(id: number): Promise<void>;
}

const CHECKPOINT_DIR = /^chk-(\d{1,15})$/;
export const METADATA_FILE = '_metadata';

/** Checkpoints in a local directory (created 0700 if missing; refused when another user could write into it). */
export class LocalCheckpointStorage implements CheckpointStorage {
  constructor(readonly dir: string) {
    safeStoreDir(dir, 'checkpoint directory');
  }

  describe(): string {
    return this.dir;
  }

  private chk(id: number): string {
    return join(this.dir, `chk-${id}`);
  }

  async writePart(id: number, name: string, bytes: Uint8Array): Promise<void> {
    checkName(name);
    const dir = safeSubdir(this.dir, `chk-${id}`);
    await writeFileAtomicAsync(join(dir, name), bytes, { durable: true });
  }

  async complete(id: number, metadata: Uint8Array): Promise<void> {
    const dir = safeSubdir(this.dir, `chk-${id}`);
    await writeFileAtomicAsync(join(dir, METADATA_FILE), metadata, { durable: true });
  }

  async ids(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids: number[] = [];
    for (const n of names) {
      const m = CHECKPOINT_DIR.exec(n);
      if (m) ids.push(Number(m[1]));
    }
    return ids.sort((a, b) => a - b);
  }

  async readMetadata(id: number): Promise<Uint8Array | undefined> {
    return this.read(id, METADATA_FILE);
  }

  async readPart(id: number, name: string): Promise<Uint8Array | undefined> {
    checkName(name);
    return this.read(id, name);
  }

  private read(id: number, name: string): Uint8Array | undefined {
    try {
      return readFileNoFollow(join(this.chk(id), name));
    } catch (e) {
      // A chk-<id> that is a link or not a directory: not a checkpoint of ours.
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  async remove(id: number): Promise<void> {
    await rm(this.chk(id), { recursive: true, force: true });
  }

  /** Creates the directory (tests). */
  static async create(dir: string): Promise<LocalCheckpointStorage> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new LocalCheckpointStorage(dir);
  }
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || name.startsWith('.') || name === METADATA_FILE) throw new Error(`internal: checkpoint part name '${name}'`);
}
