/**
 * `DeltaTable`: the user-facing handle on a Delta Lake table in a local directory — create, open, append,
 * overwrite, read (with time travel, partition pruning and data skipping), history and snapshots.
 */
import type { RecordBatch } from 'apache-arrow';
import { readSnapshotBatches, type BatchReadOptions } from './batch-scan.ts';
import { randomUUID } from 'node:crypto';
import type { CommitInfoAction, MetadataAction } from './actions.ts';
import { DeltaLog, type DeltaLogOptions } from './delta-log.ts';
import { DeltaTableError } from './errors.ts';
import { assertFreeForTable } from './not-a-table.ts';
import { mapLimit, readDataFile } from './file-rows.ts';
import { compilePredicate, type Predicate } from './predicate.ts';
import { type SchemaInput, schemaToJson, type TableSchema, toTableSchema } from './schema.ts';
import { commitTimestamps, Snapshot, type VersionSelector } from './snapshot.ts';
import { type ChangeRow, type ChangesOptions, readChanges } from './change-data-feed.ts';
import { deleteWhere, type DmlResult } from './delete.ts';
import { MergeBuilder, type MergeOptions } from './merge.ts';
import { optimizeTable, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
import { overwriteWhere } from './replace-where.ts';
import { restoreTable, type RestoreResult, type RestoreTarget } from './restore.ts';
import { vacuumTable, type VacuumOptions, type VacuumResult } from './vacuum.ts';
import { mergedSchema, overwrittenSchema } from './schema-evolution.ts';
import { setTableProperties, type SetPropertiesResult } from './set-properties.ts';
import { CDF_COLUMNS, CDF_PROTOCOL, DEFAULT_PROTOCOL, protocolForSchema } from './table-features.ts';
import { checkTableProperties, type DataFileOptions } from './table-properties.ts';
import { type UpdateSet, updateWhere } from './update.ts';
import { type CommitResult, Transaction } from './transaction.ts';
import type { DeltaValue, Row } from './value-mapping.ts';

/**
 * Options of `DeltaTable.create`.
 *
 * @example
 * const options: CreateTableOptions = { schema: { id: 'long', country: 'string' }, partitionBy: ['country'],
 *   properties: { 'delta.checkpointInterval': '10' } };
 */
export interface CreateTableOptions {
  readonly schema: SchemaInput;
  readonly partitionBy?: readonly string[];
  /** Table properties (`metaData.configuration`); `delta.*` keys must be ones Riffle honours. */
  readonly properties?: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly description?: string;
}

/**
 * Options of `DeltaTable.open`: whether the log may name data files outside the table (absolute URIs, as shallow
 * clones do; refused by default), and where warnings (an unreadable checkpoint skipped) go.
 *
 * @example
 * await DeltaTable.open('/data/clone', { allowExternalFiles: true, onWarning: (m) => console.warn(m) });
 */
export type OpenTableOptions = DeltaLogOptions;

/**
 * Options of `read`: time travel (`version` or `timestamp`), a predicate, and a column projection.
 *
 * @example
 * await table.read({ version: 2, where: { country: 'fr' }, columns: ['id'] });
 */
export interface ReadOptions extends VersionSelector {
  readonly where?: Predicate;
  readonly columns?: readonly string[];
}

/**
 * Options of `append`/`overwrite`. `txn` makes the write idempotent: it is skipped if the table already holds a
 * commit of `appId` at `version` or later (exactly-once sinks).
 *
 * @example
 * await table.append(rows, { txn: { appId: 'orders-sink', version: 42 } });
 */
export interface WriteOptions {
  readonly txn?: { readonly appId: string; readonly version: number };
  /**
   * Schema evolution: columns the rows carry that the table lacks are added (nullable) in the same commit. Types of
   * existing columns never change in place (see schema-evolution.ts; use `overwriteSchema` to widen).
   */
  readonly mergeSchema?: boolean;
  /** With `mergeSchema`: types of new columns; with `overwriteSchema`: the whole new schema. Inferred otherwise. */
  readonly schema?: SchemaInput;
  /**
   * How this write's data files are encoded and sized (codec, rows per row group, target file size), over the
   * table's `parquet.compression`, `parquet.rowGroupRows` and `delta.targetFileSize` properties.
   */
  readonly parquet?: DataFileOptions;
}

/**
 * Options of `overwrite`: `replaceWhere` replaces only the rows matching the predicate (every row written must
 * match it); without it the whole table is replaced.
 *
 * @example
 * await table.overwrite(rows, { replaceWhere: { day: '2024-05-01' } });
 */
export interface OverwriteOptions extends WriteOptions {
  readonly replaceWhere?: Predicate;
  /**
   * Replace the schema too (whole-table overwrite only): the new schema is `schema`, or the rows' columns with
   * existing types kept where the values fit (so an integer column receiving larger values becomes long).
   */
  readonly overwriteSchema?: boolean;
  /** With `overwriteSchema`: new partition columns (default: the current ones). */
  readonly partitionBy?: readonly string[];
}

/**
 * One entry of `history()`: the commitInfo of a version.
 *
 * @example
 * const [latest] = await table.history(); console.log(latest.version, latest.operation);
 */
export interface HistoryEntry {
  readonly version: number;
  /** The commit's timestamp (ms since the epoch): commitInfo.timestamp, or the commit file time without one. */
  readonly timestamp: number;
  readonly operation: string | undefined;
  readonly operationParameters: Readonly<Record<string, unknown>>;
  /** The whole commitInfo action as written (by Riffle or another engine). */
  readonly commitInfo: Readonly<CommitInfoAction>;
}

/**
 * The result of a write skipped because its `txn` was already committed.
 *
 * @example
 * const r = await table.append(rows, { txn: { appId: 'sink', version: 3 } }); if ('skipped' in r) console.log('already written');
 */
export interface SkippedWrite {
  readonly version: number;
  readonly skipped: true;
}

/**
 * A Delta Lake table in a local directory.
 *
 * @example
 * const table = await DeltaTable.create('/data/events', {
 *   schema: { id: 'long', country: 'string', ts: 'timestamp' }, partitionBy: ['country'] });
 * await table.append([{ id: 1, country: 'fr', ts: new Date() }]);
 * const rows = await table.read({ where: { country: 'fr' } });
 */
export class DeltaTable {
  readonly path: string;
  readonly log: DeltaLog;

  private constructor(path: string, options: OpenTableOptions = {}) {
    this.path = path;
    this.log = new DeltaLog(path, options);
  }

  /**
   * Creates a table (version 0: protocol reader 1 / writer 2, metaData). Fails if a table exists at `path`, or if
   * `path` is a folder holding other files (DELTA_NOT_EMPTY: a table never lands among a user's files).
   *
   * @example
   * await DeltaTable.create('/data/t', { schema: { id: { type: 'long', nullable: false }, name: 'string' } });
   */
  static async create(path: string, options: CreateTableOptions): Promise<DeltaTable> {
    const schema = toTableSchema(options.schema);
    const partitionBy = [...(options.partitionBy ?? [])];
    for (const c of partitionBy) {
      if (!schema.fields.some((f) => f.name === c)) {
        throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `partition column '${c}' is not in the schema`, { hint: `columns are ${schema.fields.map((f) => f.name).join(', ')}` });
      }
      const nested = schema.fields.find((f) => f.name === c && f.nested !== undefined);
      if (nested) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `partition column '${c}' is ${nested.type}; Delta partition columns must be primitive`);
    }
    if (partitionBy.length > 0 && partitionBy.length === schema.fields.length) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'a table needs at least one column that is not a partition column');
    }
    const configuration: Record<string, string> = { ...options.properties };
    checkTableProperties(configuration); // known delta.* keys with valid values ("did you mean" for a typo)
    const existing = await new DeltaLog(path).list();
    if (existing.commits.length > 0 || existing.checkpoints.length > 0) {
      throw new DeltaTableError('DELTA_TABLE_EXISTS', `a Delta table already exists at ${path}`, { hint: 'open it with DeltaTable.open(path)' });
    }
    await assertFreeForTable(path);
    const cdf = configuration['delta.enableChangeDataFeed'];
    if (cdf !== undefined && cdf !== 'true' && cdf !== 'false') {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `table property 'delta.enableChangeDataFeed' must be 'true' or 'false', got '${cdf}'`);
    }
    if (cdf === 'true') {
      const clash = schema.fields.find((f) => CDF_COLUMNS.includes(f.name));
      if (clash) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${clash.name}' is reserved by the change data feed (delta.enableChangeDataFeed=true)`);
    }
    const protocol = protocolForSchema(cdf === 'true' ? CDF_PROTOCOL : DEFAULT_PROTOCOL, schema.fields);
    const table = new DeltaTable(path);
    const metadata: MetadataAction = {
      id: randomUUID(), name: options.name ?? null, description: options.description ?? null,
      format: { provider: 'parquet', options: {} }, schemaString: schemaToJson(schema), partitionColumns: partitionBy,
      configuration, createdTime: Date.now(),
    };
    const tx = new Transaction(table.log, undefined);
    tx.setMetadata(metadata, protocol);
    await tx.commit({
      operation: 'CREATE TABLE',
      operationParameters: { mode: 'ErrorIfExists', location: path, metadata: JSON.stringify(metadata), protocol: JSON.stringify(protocol) },
    });
    return table;
  }

  /**
   * Opens an existing table (written by Riffle or another engine), checking Riffle can read it. A path that holds
   * no table is a `DeltaTableError` (DELTA_TABLE_NOT_FOUND) saying what is there instead; a log naming data files
   * outside the table is refused unless `allowExternalFiles`.
   *
   * @example
   * const table = await DeltaTable.open('/data/events');
   * const clone = await DeltaTable.open('/data/clone', { allowExternalFiles: true });
   */
  static async open(path: string, options: OpenTableOptions = {}): Promise<DeltaTable> {
    const table = new DeltaTable(path, options);
    await table.snapshot();
    return table;
  }

  /**
   * The table's state at a version (default latest) or timestamp: version, schema, partition columns and the data
   * files with partition values, sizes and statistics — what a SQL engine needs to scan it.
   *
   * @example
   * const snap = await table.snapshot(3); snap.files.map((f) => f.absolutePath);
   */
  async snapshot(at?: number | VersionSelector): Promise<Snapshot> {
    return Snapshot.load(this.log, typeof at === 'number' ? { version: at } : at ?? {});
  }

  /** The latest version. */
  async version(): Promise<number> {
    return (await this.snapshot()).version;
  }

  /** The schema at the latest version. */
  async schema(): Promise<TableSchema> {
    return (await this.snapshot()).schema;
  }

  /**
   * Starts a write transaction on the latest snapshot (the building block of every write operation).
   *
   * @example
   * const tx = await table.startTransaction(); await tx.writeRows(rows); await tx.commit({ operation: 'WRITE' });
   */
  async startTransaction(): Promise<Transaction> {
    return new Transaction(this.log, await this.snapshot());
  }

  /**
   * Appends rows (a blind append: concurrent appends never conflict). Rows are checked against the schema first;
   * on a mismatch nothing is written.
   *
   * @example
   * const { version } = await table.append([{ id: 1n, country: 'fr' }]);
   */
  async append(rows: readonly Row[], options: WriteOptions = {}): Promise<CommitResult | SkippedWrite> {
    if ((options as OverwriteOptions).overwriteSchema || (options as OverwriteOptions).replaceWhere) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'append: overwriteSchema and replaceWhere are options of overwrite', { hint: 'use mergeSchema to add columns on append' });
    }
    return this.write(rows, 'Append', options) as Promise<CommitResult | SkippedWrite>;
  }

  /**
   * Appends Arrow record batches (a blind append) without turning them into row objects where it can (see
   * `Transaction.writeBatches`): batch columns must be table columns with the Arrow types `readBatches` gives.
   * Options: `txn` and `parquet` as for `append` (schema evolution takes rows).
   *
   * @example
   * await table.appendBatches(batches, { parquet: { compression: 'zstd' } });
   */
  async appendBatches(batches: readonly RecordBatch[], options: Pick<WriteOptions, 'txn' | 'parquet'> = {}): Promise<CommitResult | SkippedWrite> {
    const extra = Object.keys(options).filter((k) => k !== 'txn' && k !== 'parquet');
    if (extra.length > 0) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `appendBatches: option '${extra[0]}' is not taken (options: txn, parquet)`, { hint: 'schema evolution (mergeSchema) takes rows: use append' });
    const tx = await this.startTransaction();
    tx.useFileOptions(options.parquet);
    const skipped = recordAppTransaction(tx, options.txn);
    if (skipped) return skipped;
    await tx.writeBatches(batches);
    return tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: JSON.stringify(tx.partitionColumns) } });
  }

  /**
   * Replaces the whole table's content with `rows` (removes every current file, adds the new ones, in one commit),
   * or with `replaceWhere` only the rows matching the predicate (rows written must match it, else nothing is
   * written and the error names the row; files holding matching and other rows are rewritten with the others).
   *
   * @example
   * await table.overwrite([{ id: 1n, country: 'de' }]);
   * await table.overwrite([{ id: 2n, country: 'fr' }], { replaceWhere: { country: 'fr' } });
   */
  async overwrite(rows: readonly Row[], options: OverwriteOptions = {}): Promise<CommitResult | SkippedWrite | DmlResult> {
    return this.write(rows, 'Overwrite', options);
  }

  /**
   * Deletes the rows matching `where` (all rows without it), copy-on-write: only files that may hold a matching row
   * are read, only files that do are rewritten. Metrics (numDeletedRows, numRemovedFiles, numAddedFiles, …) are
   * returned and written to commitInfo.operationMetrics. No commit when nothing matches.
   *
   * @example
   * const { metrics } = await table.delete({ country: 'fr', amount: { lt: 1 } });
   */
  async delete(where?: Predicate): Promise<DmlResult> {
    return deleteWhere(await this.startTransaction(), where);
  }

  /**
   * Sets columns of the rows matching `where` (all rows when undefined), copy-on-write; values may be functions of
   * the current row. Metrics: numUpdatedRows, numCopiedRows, numRemovedFiles, numAddedFiles.
   *
   * @example
   * await table.update({ id: 7 }, { amount: (r) => (r.amount as number) * 2, country: 'de' });
   */
  async update(where: Predicate | undefined, set: UpdateSet): Promise<DmlResult> {
    return updateWhere(await this.startTransaction(), where, set);
  }

  /**
   * Starts a MERGE of `source` rows into this table, joined on key columns or a predicate; add clauses, then
   * `execute()` (see merge.ts for the semantics).
   *
   * @example
   * await table.merge(rows, { on: ['id'] }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
   */
  merge(source: readonly Row[], options: MergeOptions): MergeBuilder {
    return new MergeBuilder(() => this.startTransaction(), source, options);
  }

  /**
   * The change data feed between two versions (inclusive): row changes with `_change_type`, `_commit_version`,
   * `_commit_timestamp`. Needs `delta.enableChangeDataFeed=true` at every version read.
   *
   * @example
   * for (const c of await table.changes({ startingVersion: 2 })) console.log(c._change_type, c.id);
   */
  async changes(options: ChangesOptions = {}): Promise<ChangeRow[]> {
    return readChanges(this.log, options);
  }

  /**
   * Compacts small files (bin-packing to `targetFileSize`, default 100 MiB) or, with `zOrderBy` (1 to 4 columns),
   * clusters each partition's rows along a Z-curve into files of about that size, so predicates on those columns skip
   * most files. One commit with dataChange false; `where` limits it to partitions. See optimize.ts.
   *
   * @example
   * const { metrics } = await table.optimize({ zOrderBy: ['x', 'y'] }); metrics.numFilesRemoved;
   */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeResult> {
    return optimizeTable(await this.startTransaction(), options);
  }

  /**
   * Deletes files no version within the retention needs (removed data files, crashed writers' orphans, change data
   * files). Retention defaults to delta.deletedFileRetentionDuration (168 hours) and may not go below it unless
   * `enforceRetentionDuration: false`; `dryRun` only lists. See vacuum.ts.
   *
   * @example
   * const { filesDeleted } = await table.vacuum({ dryRun: true });
   */
  async vacuum(options: VacuumOptions = {}): Promise<VacuumResult> {
    return vacuumTable(this.log, options);
  }

  /**
   * Restores the table to an earlier version (or the version current at a timestamp) as a new RESTORE commit.
   *
   * @example
   * await table.restore({ version: 3 });
   */
  async restore(target: RestoreTarget): Promise<RestoreResult> {
    return restoreTable(await this.startTransaction(), target);
  }

  /**
   * Sets table properties (Delta's ALTER TABLE SET TBLPROPERTIES) in one metadata commit; `delta.*` keys are
   * validated. Turning on `delta.enableChangeDataFeed` upgrades the writer protocol as Delta does; changes are then
   * readable from this commit on. See set-properties.ts.
   *
   * @example
   * await table.setProperties({ 'delta.enableChangeDataFeed': 'true' });
   */
  async setProperties(properties: Readonly<Record<string, string>>): Promise<SetPropertiesResult> {
    return setTableProperties(await this.startTransaction(), properties);
  }

  private async write(rows: readonly Row[], mode: 'Append' | 'Overwrite', options: OverwriteOptions): Promise<CommitResult | SkippedWrite | DmlResult> {
    const tx = await this.startTransaction();
    tx.useFileOptions(options.parquet);
    const skipped = recordAppTransaction(tx, options.txn);
    if (skipped) return skipped;
    const snapshot = tx.snapshot as Snapshot;
    if (options.overwriteSchema) {
      if (mode !== 'Overwrite' || options.replaceWhere !== undefined) {
        throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'overwriteSchema replaces the whole table: it cannot be combined with replaceWhere', { hint: 'overwrite without replaceWhere, or use mergeSchema to add columns' });
      }
      tx.evolveSchema(overwrittenSchema(snapshot.schema, rows, options.schema), options.partitionBy);
    } else {
      if (options.partitionBy !== undefined && JSON.stringify(options.partitionBy) !== JSON.stringify(snapshot.partitionColumns)) {
        throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `partitionBy ${JSON.stringify(options.partitionBy)} differs from the table's ${JSON.stringify(snapshot.partitionColumns)}`, { hint: 'changing partitioning needs overwrite(rows, { overwriteSchema: true, partitionBy })' });
      }
      if (options.mergeSchema) {
        const evolved = mergedSchema(snapshot.schema, rows, options.schema);
        if (evolved) tx.evolveSchema(evolved);
      }
    }
    if (mode === 'Overwrite' && options.replaceWhere !== undefined) return overwriteWhere(tx, rows, options.replaceWhere);
    if (mode === 'Overwrite') {
      tx.readTable();
      for (const f of snapshot.files) tx.removeFile(f);
    }
    await tx.writeRows(rows);
    return tx.commit({
      operation: 'WRITE',
      operationParameters: { mode, partitionBy: JSON.stringify(tx.partitionColumns) },
    });
  }

  /**
   * Reads rows at a version (default latest) or timestamp, keeping those that satisfy `where`. Files are skipped by
   * partition values and statistics; rows come back in canonical values (see `DeltaType`), columns in schema order.
   *
   * @example
   * await table.read({ timestamp: '2024-05-01T00:00:00Z', where: { amount: { gte: 100 } } });
   */
  async read(options: ReadOptions = {}): Promise<Record<string, DeltaValue>[]> {
    const snapshot = await this.snapshot(options);
    const { files } = snapshot.filesMatching(options.where);
    const terms = compilePredicate(options.where, snapshot.schema);
    const columns = options.columns ?? snapshot.schema.fields.map((f) => f.name);
    for (const c of columns) {
      if (!snapshot.schema.fields.some((f) => f.name === c)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `read: unknown column '${c}'`);
    }
    const perFile = await mapLimit(files, 4, async (f) => {
      const rows: Record<string, DeltaValue>[] = [];
      for await (const batch of readDataFile(f, snapshot.schema, { columns, terms })) for (const row of batch) rows.push(row);
      return rows;
    });
    const out: Record<string, DeltaValue>[] = [];
    for (const rows of perFile) for (const row of rows) out.push(row);
    return out;
  }

  /**
   * Streams rows at a version (default latest) or timestamp as Arrow record batches, one per row group of each data
   * file: typed columns with validity bitmaps, no row objects (see arrow-batch.ts for the types). `columns` projects.
   *
   * @example
   * for await (const batch of table.readBatches({ columns: ['amount'] })) total += batch.numRows;
   */
  async *readBatches(options: VersionSelector & BatchReadOptions = {}): AsyncGenerator<RecordBatch> {
    yield* readSnapshotBatches(await this.snapshot(options), options);
  }

  /**
   * The commit history, newest first (as delta-rs and Spark list it), optionally the latest `limit` entries.
   *
   * @example
   * for (const h of await table.history()) console.log(h.version, h.operation, h.operationParameters);
   */
  async history(limit?: number): Promise<HistoryEntry[]> {
    const { commits } = await this.log.list();
    const versions = [...commits].reverse().slice(0, limit);
    const fileTimes = await commitTimestamps(this.log, commits);
    const entries: HistoryEntry[] = [];
    for (const version of versions) {
      const actions = await this.log.readCommit(version);
      const info = actions.find((a): a is { commitInfo: CommitInfoAction } => 'commitInfo' in a)?.commitInfo ?? {};
      entries.push({
        version, timestamp: typeof info.timestamp === 'number' ? info.timestamp : (fileTimes.get(version) as number),
        operation: info.operation, operationParameters: info.operationParameters ?? {}, commitInfo: info,
      });
    }
    return entries;
  }
}

/**
 * An idempotent write's application transaction (Delta's `txn` action): the write is skipped when the table already
 * holds this version or a later one of the application, else the transaction records it with the write.
 */
function recordAppTransaction(tx: Transaction, txn: WriteOptions['txn']): SkippedWrite | undefined {
  if (txn === undefined) return undefined;
  const snapshot = tx.snapshot as Snapshot;
  const done = snapshot.appTransactions.get(txn.appId);
  if (done && done.version >= txn.version) return { version: snapshot.version, skipped: true };
  tx.setAppTransaction(txn.appId, txn.version);
  return undefined;
}
