import { randomBytes } from 'node:crypto';
import {
  applyTransform,
  ConfigError,
  GlobalWindow,
  kv,
  PipelineValidationError,
  type KV,
  type PaneTiming,
  type PCollection,
  type Pipeline,
  type PTransform,
} from '../../model/index.ts';
import { create, flattenWith, groupByKey, parDo } from '../../transforms/index.ts';
import type { FileFormat } from './file-format.ts';
import { finalShardPath, tempDirFor, type FileCompression } from './file-sink.ts';
import { paneLabel, windowLabel } from './shard-labels.ts';
import { commitFilesSync, removeQuietly, removeTempDirIfEmpty, SyncTempFile, type TempFileResult } from './sync-temp-file.ts';

/**
 * Options of every file write.
 *
 * @example
 *   io.files.writeJsonl('out/events', { numShards: 4, compression: 'gzip', suffix: '-v2' });
 *   // out/events-00000-of-00004-v2.jsonl.gz …
 */
export interface WriteFilesOptions {
  /**
   * Exactly this many files (per window and pane for windowed input), empty ones included. Default: one file per
   * bundle in batch (the runner decides), one per pane for windowed input. Fixing it groups the data by shard first.
   */
  numShards?: number;
  /** 'gzip' appends '.gz' to the names (default 'none'). */
  compression?: FileCompression;
  /** Inserted after the shard number, before the extension: `part-00000-of-00001<suffix>.jsonl`. */
  suffix?: string;
}

/**
 * A committed output file, as the write's output collection lists it.
 *
 * @example
 *   const files = rows.apply(io.files.writeJsonl('out/rows')); // PCollection<WrittenFile>
 *   // { path: 'out/rows-00000-of-00001.jsonl', count: 42, bytes: 1234 }, plus window and pane for windowed input
 */
export interface WrittenFile {
  /** The final path: `prefix[-window][-pane]-00000-of-00004[suffix].ext[.gz]`. */
  readonly path: string;
  /** Elements written to it. */
  readonly count: number;
  /** Its size on disk (compressed size with gzip). */
  readonly bytes: number;
  /** For windowed input: the window label (`windowLabel`). */
  readonly window?: string;
  /** For windowed input: the pane whose elements the file holds. */
  readonly pane?: { readonly index: number; readonly timing: PaneTiming; readonly isLast: boolean };
}

interface WriteSpec<T> {
  readonly prefix: string;
  readonly format: FileFormat<T>;
  readonly numShards: number | undefined;
  readonly compression: FileCompression;
  readonly suffix: string | undefined;
}

/** A temp file of the batch path; `shard` is set when the shard count is fixed. */
type ShardResult = TempFileResult & { readonly shard?: number };

/**
 * Writes a collection to files with an atomic commit (Beam's WriteFiles), in any `FileFormat`; `writeText`,
 * `writeJsonl` and `writeCsv` are this with a format. Outputs the committed files.
 *
 * - Global window, default trigger (batch): each bundle goes to a temp file in a hidden `.riffle-tmp-<job>` dir beside
 *   the outputs; when the whole input is written, all temp files are renamed together to
 *   `prefix-00000-of-0000N.ext`. Nothing appears at the final paths before that, and a failed job commits nothing.
 *   An empty input writes no file (or `numShards` empty files).
 * - Windowed or triggered input: each pane of each window (one firing of the trigger over the whole collection) is
 *   written to `numShards` (default 1) files `prefix-<window>-<pane>-00000-of-00001.ext`, committed together when the
 *   pane fires. Accumulating panes hold everything so far; discarding panes only the new elements.
 *
 * @example
 *   rows.apply(writeFiles('out/rows', jsonlFormat<Row>(), { numShards: 4, compression: 'gzip' }));
 *   // out/rows-00000-of-00004.jsonl.gz … out/rows-00003-of-00004.jsonl.gz
 */
export function writeFiles<T>(prefix: string, format: FileFormat<T>, opts: WriteFilesOptions = {}, name = 'WriteFiles'): PTransform<PCollection<T>, PCollection<WrittenFile>> {
  const spec: WriteSpec<T> = { prefix, format, numShards: opts.numShards, compression: opts.compression ?? 'none', suffix: opts.suffix };
  validate(spec);
  return {
    name,
    expand(input, stepName) {
      const w = input.windowing;
      if (w.windowFn.kind !== 'global' || w.trigger.kind !== 'default') return writePanes(input, spec);
      if (!input.bounded) {
        throw new PipelineValidationError(`${stepName}: an unbounded collection in the global window never ends, so its files would never be committed`, {
          hint: "window it (window.into(window.fixed('1m'))) or give it a trigger, and each pane is written as it fires",
        });
      }
      const results = spec.numShards === undefined ? writeBundles(input, spec) : writeShards(input, spec, spec.numShards);
      return finalize(results, spec);
    },
  };
}

function validate(spec: WriteSpec<unknown>): void {
  const { numShards, compression, prefix } = spec;
  if (numShards !== undefined && !(Number.isSafeInteger(numShards) && numShards >= 1)) {
    throw new ConfigError(`write to '${prefix}': numShards must be a positive integer, got ${String(numShards)}`, { hint: 'omit it to let the runner decide' });
  }
  if (compression !== 'none' && compression !== 'gzip') {
    throw new ConfigError(`write to '${prefix}': compression must be 'none' or 'gzip', got ${JSON.stringify(compression)}`);
  }
  finalShardPath({ prefix, suffix: spec.suffix, shardIndex: 0, numShards: 1 }, spec.format.extension, compression); // throws on a bad suffix
}

/** A job id for temp dirs: unique per run of a write step (made in `setup`). */
function newJobId(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** Batch, runner-determined sharding: one temp file per bundle, output at finishBundle. */
function writeBundles<T>(input: PCollection<T>, spec: WriteSpec<T>): PCollection<ShardResult> {
  let dir = '';
  let file: SyncTempFile<T> | undefined;
  let written: string[] = [];
  return input.apply(
    parDo<T, ShardResult>(
      {
        setup() {
          dir = tempDirFor(spec.prefix, newJobId());
          written = [];
        },
        process(value) {
          if (file === undefined) {
            file = SyncTempFile.open(dir, spec.format, spec.compression);
            written.push(file.tempPath);
          }
          file.add(value);
        },
        finishBundle(ctx) {
          if (file === undefined) return;
          const done = file;
          file = undefined;
          // The batch path only sees the global window; the finalizer's grouping fires at its end.
          ctx.output(done.close(), GlobalWindow.INSTANCE.maxTimestamp, GlobalWindow.INSTANCE);
        },
        teardown() {
          // After a commit the temp files are gone; after a failure they are removed, so no partial output remains.
          file?.discard();
          file = undefined;
          cleanUp(written, dir);
          written = [];
        },
      },
      'WriteBundles',
    ),
  );
}

/** Batch, fixed sharding: elements round-robin over the shards, grouped, one temp file per (non-empty) shard. */
function writeShards<T>(input: PCollection<T>, spec: WriteSpec<T>, numShards: number): PCollection<ShardResult> {
  let next = 0;
  const keyed = input.apply(
    parDo<T, KV<number, T>>(
      {
        setup() {
          next = 0;
        },
        process(value, ctx) {
          ctx.output(kv(next, value));
          next = next + 1 === numShards ? 0 : next + 1;
        },
      },
      'AssignShards',
    ),
  );
  let dir = '';
  let written: string[] = [];
  return keyed.apply(groupByKey<number, T>('GroupShards')).apply(
    parDo<KV<number, T[]>, ShardResult>(
      {
        setup() {
          dir = tempDirFor(spec.prefix, newJobId());
          written = [];
        },
        process(shard, ctx) {
          const file = SyncTempFile.open(dir, spec.format, spec.compression);
          written.push(file.tempPath);
          ctx.output({ shard: shard.key, ...writeAll(file, shard.value) });
        },
        teardown() {
          cleanUp(written, dir);
          written = [];
        },
      },
      'WriteShards',
    ),
  );
}

/**
 * Batch commit: gathers every temp file on one key (plus a one-element impulse, so an empty input still finalizes)
 * and, once the input is complete, renames them all to their final names.
 */
function finalize<T>(results: PCollection<ShardResult>, spec: WriteSpec<T>): PCollection<WrittenFile> {
  const impulse = applyTransform(results.graph.root as Pipeline, create<ShardResult | null>([null]), 'Impulse');
  let dir = '';
  return (results as PCollection<ShardResult | null>)
    .apply(flattenWith<ShardResult | null>([impulse], 'WithImpulse'))
    .map((r) => kv(0, r), 'SingleKey')
    .apply(groupByKey<number, ShardResult | null>('GatherTempFiles'))
    .apply(
      parDo<KV<number, Array<ShardResult | null>>, WrittenFile>(
        {
          setup() {
            dir = tempDirFor(spec.prefix, newJobId());
          },
          process(all, ctx) {
            const temps = all.value.filter((r): r is ShardResult => r !== null);
            let files: TempFileResult[];
            if (spec.numShards === undefined) {
              files = temps;
            } else {
              files = new Array<TempFileResult>(spec.numShards);
              for (const t of temps) files[t.shard!] = t;
              for (let i = 0; i < files.length; i++) files[i] ??= writeAll(SyncTempFile.open(dir, spec.format, spec.compression), []);
            }
            const out = commit(files, spec, undefined);
            for (const f of out) ctx.output(f);
          },
          teardown() {
            removeTempDirIfEmpty(dir);
          },
        },
        'Finalize',
      ),
    );
}

/**
 * Windowed or triggered input: the whole collection on one key, so that each trigger firing is one pane of the
 * window; each pane is written to `numShards` temp files and committed at once.
 */
function writePanes<T>(input: PCollection<T>, spec: WriteSpec<T>): PCollection<WrittenFile> {
  const numShards = spec.numShards ?? 1;
  let dir = '';
  return input
    .map((v) => kv(0, v), 'SingleKey')
    .apply(groupByKey<number, T>('GroupPanes'))
    .apply(
      parDo<KV<number, T[]>, WrittenFile>(
        {
          setup() {
            dir = tempDirFor(spec.prefix, newJobId());
          },
          process(group, ctx) {
            const files = Array.from({ length: numShards }, () => SyncTempFile.open(dir, spec.format, spec.compression));
            const results: TempFileResult[] = [];
            try {
              const values = group.value;
              for (let i = 0; i < values.length; i++) files[i % numShards]!.add(values[i]!);
              for (const f of files) results.push(f.close());
            } catch (e) {
              for (const f of files) f.discard();
              throw e;
            }
            const label = { window: windowLabel(ctx.window), pane: paneLabel(ctx.pane) };
            const pane = { index: ctx.pane.index, timing: ctx.pane.timing, isLast: ctx.pane.isLast };
            for (const f of commit(results, spec, label)) ctx.output({ ...f, window: label.window, pane });
          },
          teardown() {
            removeTempDirIfEmpty(dir);
          },
        },
        'WritePanes',
      ),
    );
}

/** Writes values to a temp file and closes it; a failure deletes the file. */
function writeAll<T>(file: SyncTempFile<T>, values: readonly T[]): TempFileResult {
  try {
    for (let i = 0; i < values.length; i++) file.add(values[i]!);
    return file.close();
  } catch (e) {
    file.discard();
    throw e;
  }
}

/** Renames temp files (in shard order) to their final names and describes the committed files. */
function commit(files: readonly TempFileResult[], spec: WriteSpec<unknown>, label: { window: string; pane: string } | undefined): WrittenFile[] {
  const numShards = files.length;
  const out: WrittenFile[] = [];
  const renames = files.map((f, shardIndex) => {
    const finalPath = finalShardPath(
      { prefix: spec.prefix, suffix: spec.suffix, shardIndex, numShards, windowLabel: label?.window, paneLabel: label?.pane },
      spec.format.extension,
      spec.compression,
    );
    out.push({ path: finalPath, count: f.count, bytes: f.bytes });
    return { tempPath: f.tempPath, finalPath };
  });
  commitFilesSync(renames);
  return out;
}

function cleanUp(tempPaths: readonly string[], dir: string): void {
  for (const p of tempPaths) removeQuietly(p);
  if (dir !== '') removeTempDirIfEmpty(dir);
}
