/**
 * `io.delta.write`: a pipeline sink into a Delta table, exactly once.
 *
 * Strategy:
 * 1. `CheckRows` checks each row against the table's columns (opened in `setup`; a missing table gets the `schema`
 *    option's columns, or columns inferred from the rows). A row that does not fit goes to the error output with the
 *    reason; the others go on.
 * 2. Batch (global window, default trigger), on any number of workers: each worker's `Stage` sink writes its valid
 *    rows as data files of the table, a chunk at a time (`stageRows` rows, and the rest when its input ends), so
 *    memory stays bounded; the files are staged, not committed: their `add` actions (merge mode: the rows) go on
 *    through the pipeline. Once the input is complete, a single-key grouping with an impulse (as in write-files.ts)
 *    brings every worker's chunks to ONE committer (the `Commit` sink, on one worker), which makes one Delta commit
 *    — or none if the job fails (staged files are deleted: by their writer until it hands them on, then by the
 *    committer).
 * 3. Windowed or triggered input: each pane of each window (single-key grouping) is one commit, in the order panes
 *    fire (watermark order).
 * 4. Every commit carries `txn(appId, version)` (Spark's txnAppId/txnVersion). Before writing, the sink reads the
 *    table's latest txn version for its appId and skips a commit already made. Versions: batch — `txnVersion`
 *    (default 0) for the one commit; streaming — `txnVersion` + the sequence number of the (non-empty) pane in the
 *    run; empty panes commit nothing, except in overwrite mode (the table then becomes empty). The appId is the
 *    `appId` option — then a rerun or a replay of the job is recognized and writes nothing twice — or, without it,
 *    one made for each run, so that a rerun (new input) appends like any other write; within a run, commits stay
 *    exactly once.
 *
 * Staging and commits run in the pipeline's thread, in sinks the engine awaits (no blocking call, no worker thread).
 */
import {
  applyTransform, ConfigError, declareWrittenRows, kv, type ErrorRecord, type PCollection, type Pipeline, type PTransform,
} from '../../model/index.ts';
import { create, flattenWith, groupByKey, writeToWithResults } from '../../transforms/index.ts';
import type { Row } from '../../lakehouse/index.ts';
import type { StagedChunk } from './delta-commit.ts';
import { type DeltaCommit, type DeltaWriteOptions, validate } from './write-options.ts';
import { checkRows, commitSink, newRunState, paneCommitSink, stagingSink } from './write-sinks.ts';

export type { DeltaWriteMode } from './delta-commit.ts';
export type { DeltaCommit, DeltaWriteOptions } from './write-options.ts';
export { deltaStagingSink } from './write-sinks.ts';

/**
 * The sink's outputs with `.withErrors()`: the commits, and the rows that did not fit the table with the reason.
 *
 * @example
 * const { main: commits, errors } = rows.apply(io.delta.write('/lake/t').withErrors());
 */
export interface DeltaWriteWithErrors<T> {
  main: PCollection<DeltaCommit>;
  errors: PCollection<ErrorRecord<T>>;
}

/**
 * The transform `io.delta.write` returns.
 *
 * @example
 * rows.apply(io.delta.write('/lake/t'));
 */
export interface DeltaWrite<T> extends PTransform<PCollection<T>, PCollection<DeltaCommit>> {
  /** Rows that do not fit the table go to an `errors` output instead of the job's dead letters. */
  withErrors(): PTransform<PCollection<T>, DeltaWriteWithErrors<T>>;
}

/**
 * Writes a collection of rows (objects of column values) to a Delta table, exactly once; creates the table when
 * missing. Outputs the commits made (`DeltaCommit`). See the strategy at the top of this file.
 *
 * @example
 * p.apply(io.files.readJsonl('in/*.jsonl')).apply(io.delta.write('/lake/events', { partitionBy: ['day'] }));
 * // streaming: one commit per pane, replays skipped through txn
 * events.apply(window.into(window.fixed('1m'))).apply(io.delta.write('/lake/events', { appId: 'events-sink' }));
 */
export function write<T extends object = Row>(path: string, options: DeltaWriteOptions = {}): DeltaWrite<T> {
  const spec = validate(path, options);
  const expand = (input: PCollection<T>, stepName: string): DeltaWriteWithErrors<T> => {
    const run = newRunState();
    const w = input.windowing;
    const streaming = w.windowFn.kind !== 'global' || w.trigger.kind !== 'default';
    if (!streaming && !input.bounded) {
      throw new ConfigError(`${stepName}: an unbounded collection in the global window never ends, so its rows would never be committed to ${spec.path}`, {
        hint: "window it (window.into(window.fixed('1m'))) or give it a trigger: each pane is then one commit",
      });
    }
    // Arrow record batches stay whole (no row objects) on the way to a batch write's staging writers (not merge: MERGE
    // takes rows; not streaming: the pane committer takes rows).
    const checked = input.apply(checkRows<T>(spec, run, !streaming && spec.mode !== 'merge').withErrors());
    const errors = checked.errors as PCollection<ErrorRecord<T>>;
    if (streaming) {
      const commits = (checked.main as PCollection<Row>)
        .map((r) => kv(0, r), 'SingleKey')
        .apply(groupByKey<number, Row>('GroupPanes'))
        .apply('CommitPanes', writeToWithResults(paneCommitSink(spec, run)));
      declareWrittenRows(commits, input); // for column lineage: the committing sink writes the input's rows
      return { main: commits, errors };
    }
    const staged = (checked.main as PCollection<Row>).apply('Stage', writeToWithResults(stagingSink(spec, run)));
    const impulse = applyTransform(input.graph.root as Pipeline, create<StagedChunk | null>([null]), 'Impulse');
    const commits = (staged as PCollection<StagedChunk | null>)
      .apply(flattenWith<StagedChunk | null>([impulse], 'WithImpulse'))
      .map((r) => kv(0, r), 'SingleKey')
      .apply(groupByKey<number, StagedChunk | null>('WhenComplete'))
      .apply('Commit', writeToWithResults(commitSink(spec, run)));
    declareWrittenRows(commits, input);
    return { main: commits, errors };
  };
  return {
    name: 'WriteDelta',
    expand: (input, stepName) => expand(input, stepName).main,
    withErrors: () => ({ name: 'WriteDelta', expand }),
  };
}
