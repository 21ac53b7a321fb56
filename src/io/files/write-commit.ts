/**
 * What the write transforms of write-files.ts share to publish their files: the write's spec, its run (run id and
 * temp dir), and the commit of temp files under their final names — by renames in a local directory
 * (file-commit.ts), by uploads to an object store (store-commit.ts).
 */
import { basename } from 'node:path';
import { GlobalWindow, type KV, type Sink, type SinkOutput } from '../../model/index.ts';
import type { FileFormat } from './file-format.ts';
import { commitFileSet, RunTempDir, type FileSet } from './file-commit.ts';
import { fileSetFor, finalShardPath, type FileCompression } from './file-sink.ts';
import { removePreparedDir } from './prepared-files.ts';
import { commitToStore, isStoreSet, stagingSet } from './store-commit.ts';
import type { SyncTempFile, TempFileResult } from './sync-temp-file.ts';
import type { WrittenFile } from './write-files.ts';

export interface WriteSpec<T> {
  readonly prefix: string;
  readonly format: FileFormat<T>;
  readonly numShards: number | undefined;
  readonly compression: FileCompression;
  readonly suffix: string | undefined;
}

/** A temp file of the batch path; `shard` is set when the shard count is fixed. */
export type ShardResult = TempFileResult & { readonly shard?: number };

/**
 * One run of a write: its run id and temp dir, shared by the write's DoFns. Each DoFn joins in `setup` and leaves in
 * `teardown`; the temp dir is made on first use and removed when the last one leaves — after the commit, or after a
 * failure or cancellation (the engine tears every DoFn down), so no temp dir outlives a run that could clean up.
 */
export class SinkRun {
  #users = 0;
  #temp: RunTempDir | undefined;

  constructor(private readonly spec: WriteSpec<unknown>) {}

  join(): void {
    this.#users++;
  }

  leave(): void {
    if (--this.#users > 0) return;
    this.#users = 0;
    this.#temp?.remove();
    this.#temp = undefined;
  }

  /** The run's temp dir (created, and dead runs' temp dirs removed, on first use). */
  temp(): RunTempDir {
    this.#temp ??= RunTempDir.create(localSetOf(this.spec).dir);
    return this.#temp;
  }
}

/** Writes values to a temp file and closes it; a failure deletes the file. */
export function writeAll<T>(file: SyncTempFile<T>, values: readonly T[]): TempFileResult {
  try {
    for (let i = 0; i < values.length; i++) file.add(values[i]!);
    return file.close();
  } catch (e) {
    file.discard();
    throw e;
  }
}

/**
 * Commits temp files (in shard order) to the sink's file set under their final names and describes them. The run's
 * first commit replaces the previous run's set; its later ones (panes) add to it.
 */
export function commit(files: readonly TempFileResult[], spec: WriteSpec<unknown>, run: SinkRun, label: { window: string; pane: string } | undefined, owner?: string): Promise<WrittenFile[]> {
  const set = storeSetOf(spec);
  if (!isStoreSet(set)) return Promise.resolve(commitLocal(files, spec, run, label, owner));
  const { out, named } = finalNames(files, spec, label);
  return commitToStore(set, named, { runId: run.temp().runId, ...(owner !== undefined ? { owner } : {}) }).then(() => out);
}

/** The final names (and outputs) of temp files in shard order. */
function finalNames(files: readonly TempFileResult[], spec: WriteSpec<unknown>, label: { window: string; pane: string } | undefined): { out: WrittenFile[]; named: Array<{ tempPath: string; name: string; count: number; bytes: number }> } {
  const numShards = files.length;
  const out: WrittenFile[] = [];
  const named = files.map((f, shardIndex) => {
    const path = finalShardPath(
      { prefix: spec.prefix, suffix: spec.suffix, shardIndex, numShards, windowLabel: label?.window, paneLabel: label?.pane },
      spec.format.extension,
      spec.compression,
    );
    out.push({ path, count: f.count, bytes: f.bytes });
    return { tempPath: f.tempPath, name: basename(path), count: f.count, bytes: f.bytes };
  });
  return { out, named };
}

/** `commit` to a local directory: synchronous (renames). */
export function commitLocal(files: readonly TempFileResult[], spec: WriteSpec<unknown>, run: SinkRun, label: { window: string; pane: string } | undefined, owner?: string): WrittenFile[] {
  const { out, named } = finalNames(files, spec, label);
  const temp = run.temp();
  commitFileSet(storeSetOf(spec), named, { runId: temp.runId, tempDir: temp.path, ...(owner !== undefined ? { owner } : {}) });
  return out;
}

/** The sink's file set where its files are published (a local directory or an object-store URL). */
export function storeSetOf(spec: WriteSpec<unknown>): FileSet {
  return fileSetFor(spec, spec.format.extension, spec.compression);
}

/** The sink's file set on this machine: the output directory, or an object-store output's staging directory. */
export function localSetOf(spec: WriteSpec<unknown>): FileSet {
  return stagingSet(storeSetOf(spec));
}

/**
 * The batch finalizer of an output in an object store: a sink that receives the gathered temp files (one group, at the
 * end of the input) and publishes them by the store's commit protocol (store-commit.ts), then reports the files.
 */
export function storeFinalizer(spec: WriteSpec<unknown>, run: SinkRun, shardFiles: (all: ReadonlyArray<ShardResult | null>) => TempFileResult[]): Sink<KV<number, Array<ShardResult | null>>, WrittenFile> {
  return {
    describe: () => `files(${spec.prefix})`,
    guarantee: 'exactly-once',
    async open() {
      run.join();
      let groups: Array<ReadonlyArray<ShardResult | null>> = [];
      let joined = true;
      const leave = () => {
        if (joined) run.leave();
        joined = false;
      };
      return {
        write(group) {
          groups.push(group.value);
        },
        flush() {
          if (groups.length === 0) return undefined;
          const todo = groups;
          groups = [];
          return (async () => {
            const outputs: SinkOutput<WrittenFile>[] = [];
            for (const all of todo) {
              for (const f of await commit(shardFiles(all), spec, run, undefined)) outputs.push({ value: f, timestamp: GlobalWindow.INSTANCE.maxTimestamp, window: GlobalWindow.INSTANCE });
              removePreparedDir(localSetOf(spec));
            }
            return outputs;
          })();
        },
        async finish() {
          leave();
        },
        async abort() {
          groups = [];
          leave();
        },
      };
    },
  };
}
