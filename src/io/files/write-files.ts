import { basename, join } from 'node:path';
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
  type Sink,
  type BoundedWindow,
  type Instant,
  type PaneInfo,
  type SinkOutput,
} from '../../model/index.ts';
import { create, flattenWith, groupByKey, parDo, writeToWithResults } from '../../transforms/index.ts';
import { AsyncTempFile } from './async-temp-file.ts';
import type { FileFormat } from './file-format.ts';
import { preparedDir, preparedOr, prepareFiles, removePreparedDir } from './prepared-files.ts';
import { finalShardPath, type FileCompression } from './file-sink.ts';
import { paneLabel, windowLabel } from './shard-labels.ts';
import { isStoreSet } from './store-commit.ts';
import { commit, commitLocal, localSetOf, SinkRun, storeFinalizer, storeSetOf, writeAll, type ShardResult, type WriteSpec } from './write-commit.ts';
import { SyncTempFile, type TempFileResult } from './sync-temp-file.ts';

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

/**
 * Writes a collection to files with an atomic commit (Beam's WriteFiles), in any `FileFormat`; `writeText`,
 * `writeJsonl` and `writeCsv` are this with a format. Outputs the committed files.
 *
 * Every write publishes its files by the commit protocol of file-commit.ts: files are written under random names in a
 * hidden `.riffle-tmp-<run>` dir beside the outputs; a commit renames them to their final names, replaces the previous
 * run's files of the same sink (same prefix, suffix and extension) and writes `_SUCCESS`, the manifest Riffle's
 * readers honour, last. A failed or cancelled job commits nothing and removes its temp dir.
 *
 * - Global window, default trigger (batch): each bundle goes to a temp file; when the whole input is written, all are
 *   committed together as `prefix-00000-of-0000N.ext`. An empty input commits one empty file (`-00000-of-00001`, with
 *   the format's header), or `numShards` empty files, as Beam does.
 * - Windowed or triggered input: each pane of each window (one firing of the trigger over the whole collection) is
 *   written to `numShards` (default 1) files `prefix-<window>-<pane>-00000-of-00001.ext`, committed when the pane
 *   fires; the run's first commit replaces the previous run's files, later ones add to the run's set. Accumulating
 *   panes hold everything so far; discarding panes only the new elements.
 *
 * @example
 *   rows.apply(writeFiles('out/rows', jsonlFormat<Row>(), { numShards: 4, compression: 'gzip' }));
 *   // out/rows-00000-of-00004.jsonl.gz … out/rows-00003-of-00004.jsonl.gz, out/_SUCCESS
 */
export function writeFiles<T>(prefix: string, format: FileFormat<T>, opts: WriteFilesOptions = {}, name = 'WriteFiles'): PTransform<PCollection<T>, PCollection<WrittenFile>> {
  const spec: WriteSpec<T> = { prefix, format, numShards: opts.numShards, compression: opts.compression ?? 'none', suffix: opts.suffix };
  validate(spec);
  return {
    name,
    expand(input, stepName) {
      const w = input.windowing;
      if (w.windowFn.kind !== 'global' || w.trigger.kind !== 'default') return writePanes(input, spec, new SinkRun(spec));
      if (!input.bounded) {
        throw new PipelineValidationError(`${stepName}: an unbounded collection in the global window never ends, so its files would never be committed`, {
          hint: "window it (window.into(window.fixed('1m'))) or give it a trigger, and each pane is written as it fires",
        });
      }
      const run = new SinkRun(spec);
      const results = spec.numShards === undefined ? writeBundles(input, spec, run) : writeShards(input, spec, spec.numShards, run);
      return finalize(results, spec, run);
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

/**
 * Batch, runner-determined sharding: one temp file per bundle, through a sink the engine awaits — elements are
 * buffered as they come, the file is written, fsynced and closed asynchronously at the end of the bundle (the bundle
 * loop never waits for the disk), and the flush reports the temp file for the finalizer to commit.
 *
 * Checkpointed runs (two phases): `prepareCommit` moves the temp files reported since the previous checkpoint into
 * the sink's prepared dir (`.riffle-prepared/<set>/`, hidden, not a run's temp dir: a later run does not remove
 * it), fsynced, and returns their names. Their final names (`-SSSSS-of-NNNNN`) need the job's file count, so
 * `commit` publishes nothing yet: the finalizer publishes every file at the end of the job, and finds a reported
 * temp file in the prepared dir when a resumed run's checkpoint restored it (its run's temp dir is gone).
 */
function writeBundles<T>(input: PCollection<T>, spec: WriteSpec<T>, run: SinkRun): PCollection<ShardResult> {
  const sink: Sink<T, ShardResult> = {
    describe: () => `files(${spec.prefix})`,
    // Published once, at the end, replacing the previous run's set; a checkpoint prepares the files for a resumed run.
    guarantee: 'exactly-once',
    async open() {
      run.join();
      let file: AsyncTempFile<T> | undefined;
      /** Temp files reported since the last checkpoint. */
      let reported: string[] = [];
      let joined = true;
      const leave = () => {
        if (joined) run.leave();
        joined = false;
      };
      return {
        write(value) {
          file ??= AsyncTempFile.open(run.temp().path, spec.format, spec.compression);
          file.add(value);
        },
        flush() {
          if (file === undefined) return undefined;
          const done = file;
          file = undefined;
          // The batch path only sees the global window; the finalizer's grouping fires at its end.
          return done.close().then((result) => {
            reported.push(result.tempPath);
            return [{ value: result, timestamp: GlobalWindow.INSTANCE.maxTimestamp, window: GlobalWindow.INSTANCE }];
          });
        },
        async prepareCommit() {
          const files = reported;
          reported = [];
          return { prepared: prepareFiles(localSetOf(spec), files) };
        },
        async commit() {
          // Published by the finalizer at the end of the job (final names need the file count): see above.
        },
        async finish() {
          leave();
        },
        async abort() {
          // After a failure or a cancellation the temp files are removed with the run's temp dir.
          await file?.discard();
          file = undefined;
          leave();
        },
      };
    },
  };
  return input.apply('WriteBundles', writeToWithResults(sink));
}

/** Batch, fixed sharding: elements round-robin over the shards, grouped, one temp file per (non-empty) shard. */
function writeShards<T>(input: PCollection<T>, spec: WriteSpec<T>, numShards: number, run: SinkRun): PCollection<ShardResult> {
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
  return keyed.apply(groupByKey<number, T>('GroupShards')).apply(
    parDo<KV<number, T[]>, ShardResult>(
      {
        setup() {
          run.join();
        },
        process(shard, ctx) {
          ctx.output({ shard: shard.key, ...writeAll(SyncTempFile.open(run.temp().path, spec.format, spec.compression), shard.value) });
        },
        teardown() {
          run.leave();
        },
      },
      'WriteShards',
    ),
  );
}

/**
 * Batch commit: gathers every temp file on one key (plus a one-element impulse, so an empty input still finalizes)
 * and, once the input is complete, commits them all as the sink's new file set.
 */
function finalize<T>(results: PCollection<ShardResult>, spec: WriteSpec<T>, run: SinkRun): PCollection<WrittenFile> {
  const set = localSetOf(spec);
  const impulse = applyTransform(results.graph.root as Pipeline, create<ShardResult | null>([null]), 'Impulse');
  /** The files to publish: the temp files in shard order, empty shards written where there are none. */
  const shardFiles = (all: ReadonlyArray<ShardResult | null>): TempFileResult[] => {
    // A temp file a checkpoint prepared (and a resumed run restored) is in the prepared dir.
    const temps = all.filter((r): r is ShardResult => r !== null).map((r) => ({ ...r, tempPath: preparedOr(set, r.tempPath) }));
    const empty = () => writeAll(SyncTempFile.open(run.temp().path, spec.format, spec.compression), []);
    if (spec.numShards === undefined) return temps.length > 0 ? temps : [empty()]; // no input: one empty shard
    const files = new Array<TempFileResult>(spec.numShards);
    for (const t of temps) files[t.shard!] = t;
    for (let i = 0; i < files.length; i++) files[i] ??= empty();
    return files;
  };
  const gathered = (results as PCollection<ShardResult | null>)
    .apply(flattenWith<ShardResult | null>([impulse], 'WithImpulse'))
    .map((r) => kv(0, r), 'SingleKey')
    .apply(groupByKey<number, ShardResult | null>('GatherTempFiles'));
  // An object store's commit is asynchronous (uploads): the finalizer is then a sink the engine awaits.
  if (isStoreSet(storeSetOf(spec))) return gathered.apply('Finalize', writeToWithResults(storeFinalizer(spec, run, shardFiles)));
  return gathered
    .apply(
      parDo<KV<number, Array<ShardResult | null>>, WrittenFile>(
        {
          setup() {
            run.join();
          },
          process(all, ctx) {
            for (const f of commitLocal(shardFiles(all.value), spec, run, undefined)) ctx.output(f);
            removePreparedDir(set);
          },
          teardown() {
            run.leave();
          },
        },
        'Finalize',
      ),
    );
}

/**
 * Windowed or triggered input: the whole collection on one key, so that each trigger firing is one pane of the
 * window; each pane is written to `numShards` temp files (asynchronously, fsynced) by a sink the engine awaits, and
 * published at once — or, in a checkpointed run, from its first checkpoint on, published when the checkpoint
 * completes (two phases: `prepareCommit` moves the panes written since the previous checkpoint into the set's
 * prepared dir and returns them; `commit` publishes them, idempotently, as the run that started the job — a run
 * resumed from the checkpoint adds to that run's files instead of replacing them). Panes after the last checkpoint
 * are published when the input ends. The outputs (`WrittenFile`) of panes published by a checkpoint's commit go out
 * with the sink's next flush; a restored checkpoint's commit (a resumed run) publishes without outputs.
 */
function writePanes<T>(input: PCollection<T>, spec: WriteSpec<T>, run: SinkRun): PCollection<WrittenFile> {
  return input
    .map((v) => kv(0, v), 'SingleKey')
    .apply(groupByKey<number, T>('GroupPanes'))
    .apply('WritePanes', writeToWithResults(paneSink(spec, run)));
}

/** A pane written to temp files, not published yet. */
interface WrittenPane {
  readonly label: { readonly window: string; readonly pane: string };
  readonly pane: NonNullable<WrittenFile['pane']>;
  readonly files: readonly TempFileResult[];
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/** What a pane sink's `prepareCommit` returns (stored with the checkpoint). */
interface PreparedPanes {
  /** Whose file set the commit extends (the run that started the job). */
  readonly owner: string;
  readonly checkpointId: number;
  readonly panes: ReadonlyArray<{ readonly label: { readonly window: string; readonly pane: string }; readonly files: ReadonlyArray<{ readonly name: string; readonly count: number; readonly bytes: number }> }>;
}

function paneSink<T>(spec: WriteSpec<T>, run: SinkRun): Sink<KV<number, T[]>, WrittenFile> {
  const numShards = spec.numShards ?? 1;
  const set = localSetOf(spec);
  return {
    describe: () => `files(${spec.prefix})`,
    // Panes are named by window and pane, so a replayed pane takes the same names; checkpointed runs publish on completion.
    guarantee: 'exactly-once',
    async open() {
      run.join();
      let joined = true;
      let queue: Array<{ values: T[]; timestamp: Instant; window: BoundedWindow; pane: PaneInfo }> = [];
      /** Checkpointed runs: panes written since the last checkpoint. */
      let written: WrittenPane[] = [];
      /** Panes a checkpoint prepared, by checkpoint (for their outputs once committed in this run). */
      const prepared = new Map<number, WrittenPane[]>();
      let outputs: SinkOutput<WrittenFile>[] = [];
      let checkpointed = false;
      let owner: string | undefined;
      const publish = async (p: WrittenPane, files: readonly TempFileResult[]) => {
        for (const f of await commit(files, spec, run, p.label, owner)) outputs.push({ value: { ...f, window: p.label.window, pane: p.pane }, timestamp: p.timestamp, window: p.window });
      };
      const take = () => {
        const out = outputs;
        outputs = [];
        return out;
      };
      const writeQueued = async (): Promise<SinkOutput<WrittenFile>[]> => {
        const panes = queue;
        queue = [];
        for (const { values, timestamp, window, pane } of panes) {
          const files = Array.from({ length: numShards }, () => AsyncTempFile.open(run.temp().path, spec.format, spec.compression));
          let results: TempFileResult[];
          try {
            for (let i = 0; i < values.length; i++) files[i % numShards]!.add(values[i]!);
            results = await Promise.all(files.map((f) => f.close()));
          } catch (e) {
            await Promise.all(files.map((f) => f.discard()));
            throw e;
          }
          const p: WrittenPane = { label: { window: windowLabel(window), pane: paneLabel(pane) }, pane: { index: pane.index, timing: pane.timing, isLast: pane.isLast }, files: results, timestamp, window };
          if (checkpointed) written.push(p);
          else await publish(p, results);
        }
        return take();
      };
      const leave = () => {
        if (joined) run.leave();
        joined = false;
      };
      return {
        write(group, timestamp, window, pane) {
          queue.push({ values: group.value, timestamp, window, pane });
        },
        flush: () => (queue.length > 0 ? writeQueued() : outputs.length > 0 ? Promise.resolve(take()) : undefined),
        endOfInput() {
          // The input ended: panes after the last checkpoint are published now (a resumed run replays them to the same names).
          if (written.length === 0) return outputs.length > 0 ? Promise.resolve(take()) : undefined;
          const panes = written;
          written = [];
          return (async () => {
            for (const p of panes) await publish(p, p.files);
            return take();
          })();
        },
        async prepareCommit(checkpointId: number): Promise<PreparedPanes> {
          checkpointed = true;
          const panes = written;
          written = [];
          prepareFiles(set, panes.flatMap((p) => p.files.map((f) => f.tempPath)));
          prepared.set(checkpointId, panes);
          return {
            owner: owner ?? run.temp().runId,
            checkpointId,
            panes: panes.map((p) => ({ label: p.label, files: p.files.map((f) => ({ name: basename(f.tempPath), count: f.count, bytes: f.bytes })) })),
          };
        },
        async commit(value: unknown): Promise<void> {
          const p = value as PreparedPanes;
          checkpointed = true;
          owner = p.owner; // a resumed run extends the set of the run that started the job
          const dir = preparedDir(set);
          const mine = prepared.get(p.checkpointId);
          prepared.delete(p.checkpointId);
          for (const [i, pane] of p.panes.entries()) {
            const files = pane.files.map((f) => ({ tempPath: join(dir, f.name), count: f.count, bytes: f.bytes }));
            const here = mine?.[i];
            if (here !== undefined) await publish(here, files);
            else await commit(files, spec, run, pane.label, owner);
          }
        },
        async finish() {
          leave();
        },
        async abort() {
          // Written, not prepared: removed with the run's temp dir. Prepared panes stay for a resumed run.
          queue = [];
          written = [];
          leave();
        },
      };
    },
  };
}
