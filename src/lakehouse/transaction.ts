/**
 * A write transaction: stage data files and actions against the snapshot it read, then commit them as the next
 * version with optimistic concurrency. Every table operation (append, overwrite, and later delete, update, merge,
 * optimize) is a transaction.
 *
 * Commit strategy: 1. write the commit file for readVersion + 1 with put-if-absent; 2. if another writer took that
 * version, read each newer commit and check it against this transaction's footprint (conflict-checker.ts) —
 * conflict → `ConcurrentModificationError`; none → try again after the newest commit; 3. after a successful commit
 * at a multiple of `delta.checkpointInterval` (default 10), write a checkpoint.
 */
import type { Action, AddAction, CdcAction, CommitInfoAction, MetadataAction, ProtocolAction } from './actions.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { checkConflicts, type TransactionFootprint } from './conflict-checker.ts';
import type { RecordBatch } from 'apache-arrow';
import { batchRows } from './batch-rows.ts';
import { writeBatchFiles } from './batch-writer.ts';
import { writeDataFiles } from './data-writer.ts';
import type { DeltaLog } from './delta-log.ts';
import { DeltaTableError } from './errors.ts';
import { parseStats } from './file-stats.ts';
import { cleanupExpiredLogs } from './log-cleanup.ts';
import { compilePredicate, mayMatchFile, type Predicate } from './predicate.ts';
import { enforceSchema, enforceSchemaTyped } from './schema-enforcement.ts';
import { assertNoInPlaceWidening } from './schema-evolution.ts';
import { schemaFromJson, schemaToJson, type TableSchema } from './schema.ts';
import { type DataFile, Snapshot } from './snapshot.ts';
import { assertWritable, CDF_COLUMNS, changeDataFeedEnabled, protocolForSchema } from './table-features.ts';
import { checkDataFileOptions, type DataFileOptions, dataFileOptions, definedOnly, numIndexedCols } from './table-properties.ts';
import { type DeltaValue, fromPartitionString, type Row } from './value-mapping.ts';

/**
 * Identifies the engine in `commitInfo.engineInfo`.
 *
 * @example
 * (await table.history())[0].commitInfo.engineInfo === ENGINE_INFO; // for commits Riffle wrote
 */
export const ENGINE_INFO = 'riffle/0.1.0';
const MAX_ATTEMPTS = 1000;

/**
 * What a commit records about itself (`commitInfo.operation` and `operationParameters`, shown by history).
 *
 * @example
 * await tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } });
 */
export interface CommitOptions {
  readonly operation: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  /** What the operation reports (`commitInfo.operationMetrics`, as delta-rs writes them: numbers, some JSON strings). */
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
}

/**
 * The kinds of row-level change in a change data file's `_change_type` column.
 *
 * @example
 * const t: ChangeType = 'update_postimage';
 */
export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage';

/**
 * The outcome of a commit.
 *
 * @example
 * const { version } = await table.append(rows);
 */
export interface CommitResult {
  /** The version the commit became. */
  readonly version: number;
  /** 1 if it won the first version it tried; more when it was retried after concurrent blind appends. */
  readonly attempts: number;
}

/**
 * A write transaction on a table, from a snapshot (or, for table creation, from nothing).
 *
 * @example
 * const tx = await table.startTransaction();
 * const adds = await tx.writeRows(rows);      // data files written, not yet visible
 * await tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } });
 */
export class Transaction {
  readonly log: DeltaLog;
  /** The snapshot read; undefined when creating a table. */
  readonly snapshot: Snapshot | undefined;
  private readonly actions: Action[] = [];
  private readWholeTable = false;
  private readonly readPaths = new Set<string>();
  private readonly readPredicates: ((add: AddAction) => boolean)[] = [];
  private readonly removedPaths = new Set<string>();
  private readonly appIds = new Set<string>();
  private changesMetadata = false;
  private committed = false;
  private fileOptions: DataFileOptions | undefined;

  constructor(log: DeltaLog, snapshot: Snapshot | undefined) {
    this.log = log;
    this.snapshot = snapshot;
    if (snapshot) assertWritable(snapshot.protocol, snapshot.metadata, snapshot.schema);
  }

  /** The version this transaction read (-1 when creating the table). */
  get readVersion(): number {
    return this.snapshot?.version ?? -1;
  }

  /** Whether `delta.appendOnly` forbids removing data. */
  get appendOnly(): boolean {
    return this.metadata().configuration['delta.appendOnly'] === 'true';
  }

  /**
   * How this transaction's data files are encoded and sized, over the table's properties (`parquet.compression`,
   * `parquet.rowGroupRows`, `delta.targetFileSize`); a `writeRows` call's own options win over both.
   *
   * @example
   * tx.useFileOptions({ compression: 'zstd' });
   */
  useFileOptions(options: DataFileOptions | undefined): void {
    if (options !== undefined) checkDataFileOptions(options);
    this.fileOptions = options;
  }

  private metadata(): MetadataAction {
    const staged = this.actions.findLast((a): a is { metaData: MetadataAction } => 'metaData' in a);
    const m = staged?.metaData ?? this.snapshot?.metadata;
    if (!m) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'the transaction has no table metadata yet');
    return m;
  }

  /**
   * Whether this table's writers must write change data files (`delta.enableChangeDataFeed=true` with a protocol
   * that has the feature); operations that rewrite rows then call `writeChangeData`.
   */
  get changeDataFeed(): boolean {
    const protocol = this.actions.findLast((a): a is { protocol: ProtocolAction } => 'protocol' in a)?.protocol ?? this.snapshot?.protocol;
    return protocol !== undefined && changeDataFeedEnabled(protocol, this.metadata());
  }

  /** The table schema (staged metadata first). */
  get schema(): TableSchema {
    return schemaFromJson(this.metadata().schemaString);
  }

  /** The partition columns (staged metadata first). */
  get partitionColumns(): readonly string[] {
    return this.metadata().partitionColumns;
  }

  /** Records that the outcome depends on every file of the table (so any concurrent data change conflicts). */
  readTable(): void {
    this.readWholeTable = true;
  }

  /**
   * Records that the outcome depends on the rows matching `where` (the whole table when undefined): a concurrent
   * commit adding data files that may hold such rows (by partition values and statistics) then conflicts.
   */
  readPredicate(where: Predicate | undefined): void {
    const snapshot = this.snapshot;
    if (where === undefined || !snapshot) { this.readWholeTable = true; return; }
    const terms = compilePredicate(where, snapshot.schema);
    if (terms.length === 0) { this.readWholeTable = true; return; }
    const { schema, partitionColumns } = snapshot;
    const partitionFields = schema.fields.filter((f) => partitionColumns.includes(f.name));
    const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    this.readPredicates.push((add) => {
      const partition: Record<string, DeltaValue> = {};
      for (const f of partitionFields) partition[f.name] = fromPartitionString(f.type, add.partitionValues[f.name]);
      return mayMatchFile(terms, partition, parseStats(add.stats, dataFields, add.tags));
    });
  }

  /** Records that the outcome depends on these files' rows: a concurrent commit removing one of them conflicts. */
  readFiles(files: Iterable<DataFile | AddAction>): void {
    for (const f of files) this.readPaths.add('add' in f ? f.add.path : f.path);
  }

  /** Stages the protocol and metadata of a new table (or a metadata change). */
  setMetadata(metadata: MetadataAction, protocol?: ProtocolAction): void {
    if (protocol) this.actions.push({ protocol });
    this.actions.push({ metaData: metadata });
    this.changesMetadata = true;
  }

  /**
   * Stages a schema change (schema evolution): a metaData action with the new schema — and, for a whole-table
   * overwrite with a new schema, new partition columns — in this transaction's commit.
   */
  evolveSchema(schema: TableSchema, partitionColumns?: readonly string[]): void {
    const current = this.metadata();
    const partitionBy = [...(partitionColumns ?? current.partitionColumns)];
    for (const c of partitionBy) {
      if (!schema.fields.some((f) => f.name === c)) {
        throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `the new schema has no partition column '${c}'`, { hint: 'keep the partition columns in the rows, or give partitionBy with overwriteSchema' });
      }
    }
    const nested = schema.fields.find((f) => partitionBy.includes(f.name) && f.nested !== undefined);
    if (nested) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `partition column '${nested.name}' is ${nested.type}; Delta partition columns must be primitive`);
    if (partitionBy.length === schema.fields.length) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'a table needs at least one column that is not a partition column');
    if (current.configuration['delta.enableChangeDataFeed'] === 'true') {
      const clash = schema.fields.find((f) => CDF_COLUMNS.includes(f.name));
      if (clash) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `column '${clash.name}' is reserved by the change data feed (delta.enableChangeDataFeed=true)`);
    }
    const protocol = this.actions.findLast((x): x is { protocol: ProtocolAction } => 'protocol' in x)?.protocol ?? this.snapshot?.protocol;
    const needed = protocol === undefined ? undefined : protocolForSchema(protocol, schema.fields);
    this.setMetadata({ ...current, schemaString: schemaToJson(schema), partitionColumns: partitionBy }, needed !== protocol ? needed : undefined);
  }

  /**
   * Validates rows against the schema (nothing is written if one fails) and writes them as data files; stages
   * their `add` actions and returns them. `dataChange: false` marks files whose rows were already in the table
   * (compaction).
   */
  async writeRows(rows: readonly Row[], options: { readonly dataChange?: boolean; readonly parquet?: DataFileOptions } = {}): Promise<AddAction[]> {
    const metadata = this.metadata();
    const schema = schemaFromJson(metadata.schemaString);
    let columns: ReturnType<typeof enforceSchemaTyped>;
    try {
      columns = enforceSchemaTyped(schema, rows);
    } catch (e) {
      assertNoInPlaceWidening(schema, rows); // a value needing a wider type gets the error that says how to widen
      throw e;
    }
    if (options.parquet !== undefined) checkDataFileOptions(options.parquet);
    const parquet = { ...dataFileOptions(metadata), ...definedOnly(this.fileOptions), ...definedOnly(options.parquet) };
    const adds = await writeDataFiles(this.log.tablePath, schema, metadata.partitionColumns, columns, Date.now(), { numIndexedCols: numIndexedCols(metadata), parquet });
    for (const add of adds) {
      if (options.dataChange === false) add.dataChange = false;
      this.actions.push({ add });
    }
    return adds;
  }

  /**
   * Writes Arrow record batches as data files without row objects where it can (`writeBatchFiles`: an unpartitioned
   * table, primitive columns, every column in every batch), else as the batches' rows through `writeRows`; stages
   * their `add` actions and returns them. Batch columns must have the table's types as Arrow types (see
   * `checkBatches`).
   *
   * @example
   * const adds = await tx.writeBatches(batches, { parquet: { compression: 'zstd' } });
   */
  async writeBatches(batches: readonly RecordBatch[], options: { readonly dataChange?: boolean; readonly parquet?: DataFileOptions } = {}): Promise<AddAction[]> {
    const metadata = this.metadata();
    const schema = schemaFromJson(metadata.schemaString);
    if (options.parquet !== undefined) checkDataFileOptions(options.parquet);
    const parquet = { ...dataFileOptions(metadata), ...definedOnly(this.fileOptions), ...definedOnly(options.parquet) };
    const adds = await writeBatchFiles(this.log.tablePath, schema, metadata.partitionColumns, batches, Date.now(), { numIndexedCols: numIndexedCols(metadata), parquet });
    if (adds === undefined) {
      const rows = batches.flatMap((b) => batchRows(b, schema.fields.filter((f) => b.schema.fields.some((c) => c.name === f.name))));
      return this.writeRows(rows, options);
    }
    for (const add of adds) {
      if (options.dataChange === false) add.dataChange = false;
      this.actions.push({ add });
    }
    return adds;
  }

  /** Stages an `add` of an existing data file (restore re-adds files an earlier version held). */
  addFile(add: AddAction): void {
    this.actions.push({ add });
  }

  /**
   * Writes row-level changes as change data files under `_change_data/` (table columns plus `_change_type`) and
   * stages their `cdc` actions. Rows are validated against the schema like data rows.
   */
  async writeChangeData(changes: readonly { readonly type: ChangeType; readonly row: Row }[]): Promise<CdcAction[]> {
    if (changes.length === 0) return [];
    const metadata = this.metadata();
    const schema = schemaFromJson(metadata.schemaString);
    const cdcSchema: TableSchema = { fields: [...schema.fields, { name: '_change_type', type: 'string', nullable: false, metadata: {} }] };
    const columns = enforceSchema(cdcSchema, changes.map((c) => ({ ...c.row, _change_type: c.type })));
    const parquet = { ...dataFileOptions(metadata), ...definedOnly(this.fileOptions) };
    const written = await writeDataFiles(this.log.tablePath, cdcSchema, metadata.partitionColumns, columns, Date.now(), { root: '_change_data', prefix: 'cdc', parquet });
    const cdcs = written.map((a): CdcAction => ({ path: a.path, partitionValues: a.partitionValues, size: a.size, dataChange: false }));
    for (const cdc of cdcs) this.actions.push({ cdc });
    return cdcs;
  }

  /**
   * Stages the removal of a live data file. `dataChange: false` says the rows stay in the table in other files
   * (compaction), which append-only tables allow.
   */
  removeFile(file: DataFile | AddAction, deletionTimestamp = Date.now(), options: { readonly dataChange?: boolean } = {}): void {
    const dataChange = options.dataChange ?? true;
    if (dataChange && this.appendOnly) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'this table is append-only (delta.appendOnly=true): data cannot be removed');
    }
    const add = 'add' in file ? file.add : file;
    this.removedPaths.add(add.path);
    this.actions.push({
      remove: {
        path: add.path, deletionTimestamp, dataChange, extendedFileMetadata: true,
        partitionValues: add.partitionValues, size: add.size, stats: add.stats ?? null,
      },
    });
  }

  /** Stages `txn(appId, version)`: an idempotent writer's progress marker. */
  setAppTransaction(appId: string, version: number): void {
    this.appIds.add(appId);
    this.actions.push({ txn: { appId, version, lastUpdated: Date.now() } });
  }

  /** Commits the staged actions as the next version; see the strategy above. */
  async commit(options: CommitOptions): Promise<CommitResult> {
    if (this.committed) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'this transaction is already committed');
    const isBlindAppend = !this.readWholeTable && this.readPaths.size === 0 && this.readPredicates.length === 0 && this.removedPaths.size === 0 && !this.changesMetadata;
    const commitInfo: CommitInfoAction = {
      timestamp: Date.now(), operation: options.operation, operationParameters: { ...options.operationParameters },
      ...(this.readVersion >= 0 ? { readVersion: this.readVersion } : {}), isolationLevel: 'Serializable', isBlindAppend,
      ...(options.operationMetrics ? { operationMetrics: { ...options.operationMetrics } } : {}), engineInfo: ENGINE_INFO,
    };
    const actions: Action[] = [{ commitInfo }, ...this.actions];
    const footprint: TransactionFootprint = {
      readWholeTable: this.readWholeTable, readPaths: this.readPaths, readPredicates: this.readPredicates,
      removedPaths: this.removedPaths, appIds: this.appIds, changesMetadata: this.changesMetadata,
    };
    let version = this.readVersion + 1;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (await this.log.tryWrite(version, actions)) {
        this.committed = true;
        await this.maybeCheckpoint(version);
        return { version, attempts: attempt };
      }
      if (this.readVersion < 0) {
        throw new DeltaTableError('DELTA_TABLE_EXISTS', `a Delta table already exists at ${this.log.tablePath}`, { hint: 'open it with DeltaTable.open(path)' });
      }
      const latest = (await this.log.list()).commits.at(-1) ?? version;
      for (let v = version; v <= latest; v++) checkConflicts(footprint, await this.log.readCommit(v), v);
      version = latest + 1;
    }
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `gave up committing to ${this.log.tablePath} after ${MAX_ATTEMPTS} lost races`);
  }

  private async maybeCheckpoint(version: number): Promise<void> {
    const interval = Number(this.metadata().configuration['delta.checkpointInterval'] ?? 10);
    if (!(interval > 0) || version === 0 || version % interval !== 0) return;
    try {
      const snapshot = await Snapshot.load(this.log, { version });
      await writeCheckpoint(this.log, snapshot.state, version);
    } catch (e) {
      // The commit succeeded; a missing checkpoint only makes later reads replay more commits. Say so, loudly.
      process.emitWarning(`Delta checkpoint at version ${version} of ${this.log.tablePath} failed: ${(e as Error).message}`, { code: 'RIFFLE_DELTA_CHECKPOINT' });
      return;
    }
    try {
      await cleanupExpiredLogs(this.log, this.metadata());
    } catch (e) {
      process.emitWarning(`Delta log cleanup after the checkpoint at version ${version} of ${this.log.tablePath} failed: ${(e as Error).message}`, { code: 'RIFFLE_DELTA_LOG_CLEANUP' });
    }
  }
}
