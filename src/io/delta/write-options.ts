/**
 * The options of `io.delta.write` and their checking (`validate` → the `Spec` the sinks run from), and the commit
 * records the sink outputs.
 */
import { ConfigError, type PaneTiming } from '../../model/index.ts';
import type { SchemaInput } from '../../lakehouse/index.ts';
import type { DeltaWriteMode } from './delta-commit.ts';
import { type CheckedColumn, isWritableTypeName, WRITABLE_TYPES } from './row-checker.ts';
import { tableLocation } from './table-location.ts';

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

/** The checked options a sink runs from. */
export interface Spec {
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

/**
 * Checks `io.delta.write`'s options, naming the table and the option at fault.
 *
 * @example
 * const spec = validate('/lake/t', { mode: 'merge', mergeOn: ['id'] });
 */
export function validate(path: string, o: DeltaWriteOptions): Spec {
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
    if (!isWritableTypeName(type)) throw new ConfigError(`${where}: column '${name}' has type ${JSON.stringify(type)}`, { hint: `use one of ${WRITABLE_TYPES.join(', ')}, decimal(p,s), array<…>, map<…,…>, struct<name:type,…>` });
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
    path: tableLocation(path), mode, partitionBy: o.partitionBy, mergeOn: o.mergeOn, schema, mergeSchema: o.mergeSchema === true,
    properties: o.properties ?? {}, appId: o.appId, txnVersion: o.txnVersion, stageRows,
  };
}
