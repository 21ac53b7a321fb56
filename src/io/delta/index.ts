/**
 * Delta Lake tables in pipelines: `io.delta.write` (an exactly-once sink: one commit per batch job or per window
 * pane, through Delta `txn` actions; idempotent reruns with an explicit `appId`) and `io.delta.read` (a bounded source, one split per data file), and `io.delta.stream` (an unbounded source following
 * new versions, as Spark's Delta streaming source).
 * The table format itself lives in src/lakehouse.
 *
 * @example
 * import { Pipeline, io } from 'riffle';
 * const p = Pipeline.create();
 * p.apply(io.files.readJsonl('in/*.jsonl')).apply(io.delta.write('/lake/events', { partitionBy: ['day'] }));
 * await p.run();
 */
export { write, type DeltaCommit, type DeltaWrite, type DeltaWriteOptions, type DeltaWriteWithErrors, type DeltaWriteMode } from './write-delta.ts';
export { read, DeltaSource, type DeltaReadOptions, type DeltaRow } from './delta-source.ts';
export { DeltaBatchSource, type DeltaBatchPosition } from './delta-batch-source.ts';
export { stream, DeltaStreamSource, type DeltaStreamOptions, type DeltaStreamPosition } from './delta-stream.ts';
export { DeltaSinkError } from './delta-sink-error.ts';
