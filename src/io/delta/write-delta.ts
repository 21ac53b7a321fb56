/**
 * `io.delta.write`: a pipeline sink into a Delta table, exactly once.
 *
 * Strategy:
 * 1. `CheckRows` checks each row against the table's columns (opened in `setup`; a missing table gets the `schema`
 *    option's columns, or columns inferred from the rows). A row that does not fit goes to the error output with the
 *    reason; the others go on.
 * 2. Batch (global window, default trigger): valid rows are staged as data files in one open transaction, a chunk
 *    at a time (`stageRows` rows), so memory stays bounded; once the input is complete (a single-key grouping with an
 *    impulse, as in write-files.ts) the transaction commits — one commit, or none if the job fails (its staged files
 *    are deleted).
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
 * The Delta operations run in a worker thread the steps call synchronously (see sync-table-client.ts).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  applyTransform, ConfigError, kv, RiffleError, type ErrorRecord, type KV, type PaneTiming, type PCollection, type Pipeline, type PTransform,
} from '../../model/index.ts';
import { create, flattenWith, groupByKey, parDo } from '../../transforms/index.ts';
import type { Row, SchemaInput } from '../../lakehouse/index.ts';
import { windowLabel } from '../files/index.ts';
import { lakehouse } from './lakehouse-module.ts';
import { type CheckedColumn, RowChecker, WRITABLE_TYPES } from './row-checker.ts';
import { SyncTableClient } from './sync-table-client.ts';
import type { BeginResult, CommitResult, DeltaWriteMode } from './worker-protocol.ts';

export type { DeltaWriteMode } from './worker-protocol.ts';

/**
 * Options of `io.delta.write`.
 *
 * @example
 * io.delta.write('/lake/orders', { mode: 'merge', mergeOn: ['order_id'], partitionBy: ['day'], schema: { order_id: 'long', day: 'date', amount: 'double' } });
 */
export interface DeltaWriteOptions {
  /** 'append' (default); 'overwrite' replaces the table's content (per pane: the table holds the latest pane, like
   * Structured Streaming's complete mode); 'merge' upserts on `mergeOn` (matched rows updated, others inserted). */
  readonly mode?: DeltaWriteMode;
  /** Partition columns of a table the sink creates (must match an existing table's). */
  readonly partitionBy?: readonly string[];
  /** Key columns of mode 'merge'. Several rows with one key in a commit: the last one wins. */
  readonly mergeOn?: readonly string[];
  /** Columns of a table the sink creates; without it they are inferred from the rows (bigint → long, number →
   * double, string, boolean, Date → timestamp); a column that is null in every row is an error. */
  readonly schema?: SchemaInput;
  /** Add columns the rows hold and the table lacks (nullable, types inferred as above). */
  readonly mergeSchema?: boolean;
  /** Table properties of a table the sink creates. */
  readonly properties?: Readonly<Record<string, string>>;
  /** The txn application id (Spark's txnAppId). Given, commits the table already holds for it are skipped, so a
   * rerun or replay of the job is idempotent (raise `txnVersion` to write new data under it). Default: an id made
   * for each run (`riffle-<uuid>`), so every run appends. */
  readonly appId?: string;
  /** The txn version (Spark's txnVersion), default 0: batch — of the one commit; streaming — of the first pane
   * (later panes count up from it). */
  readonly txnVersion?: number;
  /** Batch: rows staged as data files at a time (default 100,000). */
  readonly stageRows?: number;
}

/**
 * One commit of the sink (or one skipped because the table already held it), as the sink's output lists it.
 *
 * @example
 * const commits = rows.apply(io.delta.write('/lake/events')); // PCollection<DeltaCommit>
 * // { table: '/lake/events', version: 3, committed: true, skipped: false, rows: 1000, files: 1, appId: 'riffle-…', txnVersion: 0 }
 */
export interface DeltaCommit {
  readonly table: string;
  /** The table version the commit became; null when nothing was committed. */
  readonly version: number | null;
  readonly committed: boolean;
  /** True when the table already held this commit (txn appId at txnVersion or later): a replay. */
  readonly skipped: boolean;
  readonly rows: number;
  readonly files: number;
  readonly appId: string;
  readonly txnVersion: number | null;
  /** Merge mode: the MERGE metrics (numTargetRowsInserted, numTargetRowsUpdated, …). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** For windowed input: the window label and the pane committed. */
  readonly window?: string;
  readonly pane?: { readonly index: number; readonly timing: PaneTiming; readonly isLast: boolean };
}

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

/** A row that does not fit the table (its reason goes to the error record). */
class RowRejectedError extends RiffleError {
  constructor(reason: string) {
    super('DELTA_SCHEMA_MISMATCH', reason, { domain: 'user' });
  }
}

interface Spec {
  readonly path: string;
  readonly mode: DeltaWriteMode;
  readonly partitionBy: readonly string[] | undefined;
  readonly mergeOn: readonly string[] | undefined;
  readonly schema: readonly CheckedColumn[] | undefined;
  readonly mergeSchema: boolean;
  readonly properties: Readonly<Record<string, string>>;
  readonly appId: string | undefined;
  readonly txnVersion: number | undefined;
  readonly stageRows: number;
}

/** What the steps of one sink share during a run (all in one process: the embedded engine). */
interface RunState {
  client: SyncTableClient | undefined;
  checker: RowChecker | undefined;
  /** Whether the rows may add columns (mergeSchema, or columns inferred for a table this sink creates). */
  evolve: boolean;
  /** Batch: the open commit session, once rows were staged. */
  session: { id: string; begun: BeginResult } | undefined;
  buffer: Row[];
  staged: number;
  paneSeq: number;
  appId: string;
  warned: boolean;
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
    const run: RunState = { client: undefined, checker: undefined, evolve: false, session: undefined, buffer: [], staged: 0, paneSeq: 0, appId: '', warned: false };
    const w = input.windowing;
    const streaming = w.windowFn.kind !== 'global' || w.trigger.kind !== 'default';
    if (!streaming && !input.bounded) {
      throw new ConfigError(`${stepName}: an unbounded collection in the global window never ends, so its rows would never be committed to ${spec.path}`, {
        hint: "window it (window.into(window.fixed('1m'))) or give it a trigger: each pane is then one commit",
      });
    }
    const checked = input.apply(checkRows<T>(spec, run, streaming).withErrors());
    const errors = checked.errors as PCollection<ErrorRecord<T>>;
    if (streaming) {
      const commits = (checked.main as PCollection<Row>)
        .map((r) => kv(0, r), 'SingleKey')
        .apply(groupByKey<number, Row>('GroupPanes'))
        .apply(commitPanes(spec, run));
      return { main: commits, errors };
    }
    const impulse = applyTransform(input.graph.root as Pipeline, create<null>([null]), 'Impulse');
    const commits = (checked.main as PCollection<null>)
      .apply(flattenWith<null>([impulse], 'WithImpulse'))
      .map((r) => kv(0, r), 'SingleKey')
      .apply(groupByKey<number, null>('WhenComplete'))
      .apply(commitBatch(spec, run));
    return { main: commits, errors };
  };
  return {
    name: 'WriteDelta',
    expand: (input, stepName) => expand(input, stepName).main,
    withErrors: () => ({ name: 'WriteDelta', expand }),
  };
}

function validate(path: string, o: DeltaWriteOptions): Spec {
  const where = `io.delta.write(${JSON.stringify(path)})`;
  if (typeof path !== 'string' || path === '') throw new ConfigError('io.delta.write: the table path must be a non-empty string');
  const mode = o.mode ?? 'append';
  if (!['append', 'overwrite', 'merge'].includes(mode)) throw new ConfigError(`${where}: mode must be 'append', 'overwrite' or 'merge', got ${JSON.stringify(mode)}`);
  if (mode === 'merge' && (o.mergeOn === undefined || o.mergeOn.length === 0)) {
    throw new ConfigError(`${where}: mode 'merge' needs mergeOn, the key columns to match rows on`, { hint: "e.g. { mode: 'merge', mergeOn: ['id'] }" });
  }
  if (mode !== 'merge' && o.mergeOn !== undefined) throw new ConfigError(`${where}: mergeOn is only for mode 'merge' (mode is '${mode}')`);
  const schema = o.schema === undefined ? undefined : Object.entries(o.schema).map(([name, s]): CheckedColumn => {
    const type = typeof s === 'string' ? s : s?.type;
    if (!WRITABLE_TYPES.includes(type)) throw new ConfigError(`${where}: column '${name}' has type ${JSON.stringify(type)}`, { hint: `use one of ${WRITABLE_TYPES.join(', ')}` });
    return { name, type, nullable: typeof s === 'string' ? true : s.nullable ?? true };
  });
  for (const c of [...(o.partitionBy ?? []), ...(o.mergeOn ?? [])]) {
    if (typeof c !== 'string' || c === '') throw new ConfigError(`${where}: partitionBy and mergeOn take column names, got ${JSON.stringify(c)}`);
    if (schema && !schema.some((f) => f.name === c)) throw new ConfigError(`${where}: column '${c}' is not in the schema option (${schema.map((f) => f.name).join(', ')})`);
  }
  if (o.txnVersion !== undefined && !(Number.isSafeInteger(o.txnVersion) && o.txnVersion >= 0)) {
    throw new ConfigError(`${where}: txnVersion must be a non-negative integer, got ${String(o.txnVersion)}`);
  }
  if (o.appId !== undefined && (typeof o.appId !== 'string' || o.appId === '')) throw new ConfigError(`${where}: appId must be a non-empty string`);
  const stageRows = o.stageRows ?? 100_000;
  if (!(Number.isSafeInteger(stageRows) && stageRows >= 1)) throw new ConfigError(`${where}: stageRows must be a positive integer, got ${String(stageRows)}`);
  for (const [k, v] of Object.entries(o.properties ?? {})) {
    if (typeof v !== 'string') throw new ConfigError(`${where}: table property '${k}' must be a string, got ${typeof v}`);
  }
  return {
    path: resolve(path), mode, partitionBy: o.partitionBy, mergeOn: o.mergeOn, schema, mergeSchema: o.mergeSchema === true,
    properties: o.properties ?? {}, appId: o.appId, txnVersion: o.txnVersion, stageRows,
  };
}

/** Opens the worker and reads the table's columns (or takes the schema option for a table to create). */
async function startRun(spec: Spec, run: RunState): Promise<void> {
  run.session = undefined;
  run.buffer = [];
  run.staged = 0;
  run.paneSeq = 0;
  run.warned = false;
  // Without an appId the run is its own application: its commits are exactly once, and a rerun appends.
  run.appId = spec.appId ?? `riffle-${randomUUID()}`;
  const { DeltaTable, DeltaTableError } = await lakehouse.load();
  let columns: readonly CheckedColumn[] | undefined;
  try {
    const snapshot = await (await DeltaTable.open(spec.path)).snapshot();
    columns = snapshot.schema.fields;
    const partitions = snapshot.partitionColumns;
    if (spec.partitionBy !== undefined && spec.partitionBy.join(',') !== partitions.join(',')) {
      throw new ConfigError(`io.delta.write(${spec.path}): partitionBy [${spec.partitionBy.join(', ')}] differs from the table's partition columns [${partitions.join(', ')}]`, {
        hint: 'omit partitionBy to use the table\'s, or write to a new table',
      });
    }
    for (const k of spec.mergeOn ?? []) {
      if (!columns.some((c) => c.name === k)) throw new ConfigError(`io.delta.write(${spec.path}): mergeOn column '${k}' is not in the table (${columns.map((c) => c.name).join(', ')})`);
    }
  } catch (e) {
    if (!(e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND')) throw e;
  }
  const created = columns === undefined;
  run.evolve = spec.mergeSchema || (created && spec.schema === undefined);
  run.checker = new RowChecker(columns ?? spec.schema ?? [], { allowNewColumns: run.evolve });
  run.client = await SyncTableClient.start();
}

async function endRun(run: RunState): Promise<void> {
  const { client, session } = run;
  run.client = undefined;
  run.session = undefined;
  if (!client) return;
  try {
    if (session) client.call({ op: 'abort', session: session.id }); // the job failed before its commit
  } finally {
    await client.close();
  }
}

/** Why a batch write runs on one worker: its rows are staged by this process and committed by another step of it. */
const BATCH_STAGING_IS_LOCAL = 'a batch io.delta.write stages rows in this process and commits them in a later step, so rows staged on other workers would not be committed';

function checkRows<T>(spec: Spec, run: RunState, streaming: boolean) {
  return parDo<T, T | null>(
    {
      ...(streaming ? {} : { singleWorker: BATCH_STAGING_IS_LOCAL }),
      setup: () => startRun(spec, run),
      process(row, ctx) {
        const reason = (run.checker as RowChecker).check(row);
        if (reason !== undefined) throw new RowRejectedError(`${spec.path}: ${reason}`);
        if (streaming) ctx.output(row);
        else run.buffer.push(row as Row);
      },
      finishBundle() {
        // Batch: stage full chunks; the rest is staged when the input is complete. Errors here fail the job.
        if (!streaming && run.buffer.length >= spec.stageRows) stage(spec, run);
      },
      teardown: () => endRun(run),
    },
    'CheckRows',
  );
}

/** Opens the batch session on first use and stages the buffered rows. */
function stage(spec: Spec, run: RunState): void {
  const client = run.client as SyncTableClient;
  const checker = run.checker as RowChecker;
  if (run.session === undefined) {
    const id = randomUUID();
    run.session = { id, begun: client.call<BeginResult>(beginRequest(spec, run, id, spec.txnVersion ?? 0, 'WRITE')) };
  }
  const rows = run.buffer;
  run.buffer = [];
  if (rows.length === 0) return;
  client.call({ op: 'stage', session: run.session.id, rows, columns: checker.allColumns() });
  run.staged += rows.length;
}

function beginRequest(spec: Spec, run: RunState, session: string, txnVersion: number, operation: 'WRITE' | 'STREAMING UPDATE') {
  const checker = run.checker as RowChecker;
  return {
    op: 'begin' as const, session, path: spec.path, mode: spec.mode, appId: run.appId, txnVersion, mergeOn: spec.mergeOn,
    evolveSchema: run.evolve, operation,
    create: { columns: checker.allColumns(), partitionBy: spec.partitionBy ?? [], properties: spec.properties },
  };
}

function commitBatch(spec: Spec, run: RunState) {
  return parDo<KV<number, null[]>, DeltaCommit>(
    {
      singleWorker: BATCH_STAGING_IS_LOCAL,
      process(_all, ctx) {
        const { client } = ready(spec, run);
        if (run.buffer.length > 0 || spec.mode === 'overwrite') stage(spec, run);
        const session = run.session;
        if (session === undefined) {
          ctx.output(nothingCommitted(spec, run));
          return;
        }
        // The session id is forgotten first: if the commit fails, its files may already be referenced.
        run.session = undefined;
        const result = client.call<CommitResult>({ op: 'commit', session: session.id });
        if (result.skipped) warnSkipped(spec, run, result.txnVersion);
        ctx.output(toCommit(spec, run, result));
      },
    },
    'Commit',
  );
}

function commitPanes(spec: Spec, run: RunState) {
  return parDo<KV<number, Row[]>, DeltaCommit>(
    {
      process(group, ctx) {
        const { client, checker } = ready(spec, run);
        const pane = { index: ctx.pane.index, timing: ctx.pane.timing, isLast: ctx.pane.isLast };
        if (group.value.length === 0 && spec.mode !== 'overwrite') {
          // An empty pane (e.g. an on-time pane after early ones, discarding) has nothing to append or merge.
          ctx.output({ ...nothingCommitted(spec, run), window: windowLabel(ctx.window), pane });
          return;
        }
        const txnVersion = (spec.txnVersion ?? 0) + run.paneSeq++;
        const id = randomUUID();
        const begun = client.call<BeginResult>(beginRequest(spec, run, id, txnVersion, 'STREAMING UPDATE'));
        if (!begun.skipped) client.call({ op: 'stage', session: id, rows: group.value, columns: checker.allColumns() });
        const result = client.call<CommitResult>({ op: 'commit', session: id });
        if (result.skipped) warnSkipped(spec, run, txnVersion);
        ctx.output({ ...toCommit(spec, run, result), window: windowLabel(ctx.window), pane });
      },
    },
    'CommitPanes',
  );
}

/** The run's worker and checker, once every new column has a type (a commit needs them all typed). */
function ready(spec: Spec, run: RunState): { client: SyncTableClient; checker: RowChecker } {
  const checker = run.checker as RowChecker;
  checker.assertTyped(`io.delta.write(${spec.path})`);
  return { client: run.client as SyncTableClient, checker };
}

function nothingCommitted(spec: Spec, run: RunState): DeltaCommit {
  return { table: spec.path, version: null, committed: false, skipped: false, rows: 0, files: 0, appId: run.appId, txnVersion: null };
}

function toCommit(spec: Spec, run: RunState, r: CommitResult): DeltaCommit {
  return {
    table: spec.path, version: r.version, committed: r.committed, skipped: r.skipped, rows: r.rows, files: r.files, appId: run.appId,
    txnVersion: r.txnVersion, ...(r.metrics ? { metrics: r.metrics } : {}),
  };
}

function warnSkipped(spec: Spec, run: RunState, txnVersion: number): void {
  if (run.warned) return;
  run.warned = true;
  process.emitWarning(
    `io.delta.write(${spec.path}): the table already holds txn ${run.appId}@${txnVersion}, so this commit was skipped as a replay. ` +
      'To write new data under this appId, raise txnVersion (or omit appId: each run then gets its own and appends).',
    { code: 'RIFFLE_DELTA_TXN_SKIPPED' },
  );
}
