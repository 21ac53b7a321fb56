/**
 * The commit side of `io.delta.write`, in the pipeline's thread (asynchronous, awaited by the engine as a sink's
 * flush): data files staged by the sink's writers — on any number of workers — arrive here as `StagedChunk`s and
 * become ONE Delta commit carrying `txn(appId, txnVersion)`; a commit the table already holds (its appId at that
 * version or later) is skipped and its staged files deleted. Merge mode carries the rows instead of files and
 * upserts them (MERGE).
 */
import type { AddAction, DeltaTable, Row, Snapshot, Transaction } from '../../lakehouse/index.ts';
import { lakehouse } from './lakehouse-module.ts';
import type { CheckedColumn } from './row-checker.ts';
import { DeltaSinkError } from './delta-sink-error.ts';

/** How a sink writes: append rows, replace the table's content, or upsert on key columns. */
export type DeltaWriteMode = 'append' | 'overwrite' | 'merge';

/** What a commit did. */
export interface CommitResult {
  readonly skipped: boolean;
  /** False for a skipped commit, and for a merge that changed nothing. */
  readonly committed: boolean;
  readonly version: number | null;
  readonly rows: number;
  readonly files: number;
  readonly txnVersion: number;
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * What one writer staged: data files (append, overwrite) or rows (merge), with the columns its checker knew then.
 *
 * @example
 * const chunk: StagedChunk = { worker: 0, seq: 0, adds, rows: [], count: 1000, columns, untyped: [] };
 */
export interface StagedChunk {
  /** The writer's worker and its chunk number there: the committer orders chunks by them. */
  readonly worker: number;
  readonly seq: number;
  /** Staged, uncommitted data files (append and overwrite). */
  readonly adds: readonly AddAction[];
  /** Merge mode: the rows to upsert. */
  readonly rows: readonly Row[];
  /** Rows in the chunk. */
  readonly count: number;
  /** Every typed column the rows may hold (the table's, then inferred ones). */
  readonly columns: readonly CheckedColumn[];
  /** New columns that held only nulls so far (no type yet). */
  readonly untyped: readonly string[];
  /** The writer's own txn, committed with the chunk: set on the last chunks of a checkpointed writer (see write-delta.ts). */
  readonly txn?: { readonly appId: string; readonly version: number };
}

/** Where and how a committer writes. */
export interface CommitTarget {
  readonly path: string;
  readonly mode: DeltaWriteMode;
  readonly mergeOn: readonly string[] | undefined;
  /** Partition columns and properties of a table the commit creates. */
  readonly partitionBy: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  /** Add columns the rows hold and the table lacks. */
  readonly evolveSchema: boolean;
}

/**
 * The columns of several chunks, in worker then chunk order (the table's first: every chunk starts with them); a
 * column that two workers inferred with different types is an error (one worker would have rejected the later rows),
 * and so is a new column that held only nulls everywhere.
 *
 * @example
 * combineColumns('io.delta.write(/lake/t)', chunks); // [{ name: 'id', type: 'long', nullable: true }, …]
 */
export function combineColumns(what: string, chunks: readonly StagedChunk[]): CheckedColumn[] {
  const byName = new Map<string, CheckedColumn>();
  const untyped = new Set<string>();
  for (const chunk of sortChunks(chunks)) {
    for (const c of chunk.columns) {
      const seen = byName.get(c.name);
      if (seen === undefined) byName.set(c.name, c);
      else if (seen.type !== c.type) {
        throw new DeltaSinkError('DELTA_SCHEMA_MISMATCH', `${what}: column '${c.name}' was inferred as ${seen.type} from some rows and as ${c.type} from others (read by different workers)`, {
          hint: `declare its type: io.delta.write(path, { schema: { ${c.name}: '${seen.type}', ... } }), or run with --workers 1 to reject the rows that do not fit the first type`,
        });
      }
    }
    for (const u of chunk.untyped) untyped.add(u);
  }
  const left = [...untyped].filter((u) => !byName.has(u));
  if (left.length > 0) {
    throw new DeltaSinkError('DELTA_SCHEMA_MISMATCH', `${what}: column${left.length > 1 ? 's' : ''} ${left.map((c) => `'${c}'`).join(', ')} held only nulls, so ${left.length > 1 ? 'their types' : 'its type'} cannot be inferred`, {
      hint: `declare the types: io.delta.write(path, { schema: { ${left.map((c) => `${c}: 'string'`).join(', ')}, ... } })`,
    });
  }
  return [...byName.values()];
}

/** Chunks in worker order, then in the order each worker staged them. */
export function sortChunks(chunks: readonly StagedChunk[]): StagedChunk[] {
  return [...chunks].sort((a, b) => a.worker - b.worker || a.seq - b.seq);
}

/** Opens the table, or creates it with `columns` when missing (another writer creating it first is fine). */
export async function openOrCreate(t: CommitTarget, columns: readonly CheckedColumn[]): Promise<DeltaTable> {
  const { DeltaTable, DeltaTableError } = await lakehouse.load();
  try {
    return await DeltaTable.open(t.path);
  } catch (e) {
    if (!(e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND')) throw e;
  }
  const schema = Object.fromEntries(columns.map((c) => [c.name, { type: c.type as 'string', nullable: c.nullable }]));
  try {
    return await DeltaTable.create(t.path, { schema, partitionBy: t.partitionBy, properties: t.properties });
  } catch (e) {
    // Another writer created it first: write to theirs (its schema then judges the rows).
    if (e instanceof DeltaTableError && e.code === 'DELTA_TABLE_EXISTS') return DeltaTable.open(t.path);
    throw e;
  }
}

/** Stages a schema change adding the columns the table lacks (nullable, as Delta's mergeSchema adds them). */
export function evolve(tx: Transaction, snapshot: Snapshot, columns: readonly CheckedColumn[]): boolean {
  const have = new Set(tx.schema.fields.map((f) => f.name));
  const missing = columns.filter((c) => !have.has(c.name));
  if (missing.length === 0) return false;
  const fields = [...tx.schema.fields, ...missing.map((c) => ({ name: c.name, type: c.type, nullable: true, metadata: {} }))];
  const schemaString = JSON.stringify({ type: 'struct', fields: fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: f.metadata })) });
  tx.setMetadata({ ...snapshot.metadata, schemaString });
  return true;
}

/**
 * Commits staged chunks as one version with `txn(appId, txnVersion)` (creating the table if missing), or finds the
 * table already holds that txn and deletes the staged files (`skipped`). Merge mode upserts the chunks' rows.
 *
 * @example
 * const r = await commitChunks(target, { appId: 'nightly', txnVersion: 3, operation: 'WRITE', chunks });
 */
export async function commitChunks(t: CommitTarget, c: { appId: string; txnVersion: number; operation: 'WRITE' | 'STREAMING UPDATE'; chunks: readonly StagedChunk[] }): Promise<CommitResult> {
  // Another commit of the same application (a checkpoint's, racing the final commit) conflicts by Delta's rules: both
  // are idempotent, so start again from the new snapshot (which may now hold this one's txn: then it is skipped).
  const { ConcurrentModificationError } = await lakehouse.load();
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce(t, c);
    } catch (e) {
      if (!(e instanceof ConcurrentModificationError && e.conflict === 'concurrentTransaction') || attempt >= 5) throw e;
    }
  }
}

async function commitOnce(t: CommitTarget, c: { appId: string; txnVersion: number; operation: 'WRITE' | 'STREAMING UPDATE'; chunks: readonly StagedChunk[] }): Promise<CommitResult> {
  const what = `io.delta.write(${t.path})`;
  const chunks = sortChunks(c.chunks);
  const staged = chunks.flatMap((k) => k.adds);
  const count = chunks.reduce((n, k) => n + k.count, 0);
  const { discardStagedFiles } = await lakehouse.load();
  let columns: CheckedColumn[];
  try {
    columns = combineColumns(what, chunks);
  } catch (e) {
    await discardStagedFiles(t.path, staged);
    throw e;
  }
  // The commit's txns: its own, and the writers' (checkpointed writers' final chunks), highest version per appId.
  const txns = new Map<string, number>([[c.appId, c.txnVersion]]);
  for (const k of chunks) if (k.txn !== undefined && k.txn.appId !== c.appId) txns.set(k.txn.appId, Math.max(txns.get(k.txn.appId) ?? -1, k.txn.version));
  const held = (s: Snapshot) => [...txns].some(([appId, version]) => (s.appTransactions.get(appId)?.version ?? -1) >= version);
  const table = await openOrCreate(t, columns);
  if (t.mode === 'merge') {
    if (held(await table.snapshot())) return { skipped: true, committed: false, version: null, rows: 0, files: 0, txnVersion: c.txnVersion };
    return mergeRows(table, { appId: c.appId, txnVersion: c.txnVersion, mergeOn: t.mergeOn ?? [], rows: chunks.flatMap((k) => k.rows), columns, evolveSchema: t.evolveSchema, txns });
  }
  const tx = await table.startTransaction();
  const snapshot = tx.snapshot as Snapshot;
  const live = new Set(snapshot.files.map((f) => f.path));
  if (held(snapshot)) {
    // A replay: the table holds this commit already. Staged files it does not reference (a rerun's) are deleted.
    await discardStagedFiles(t.path, staged.filter((a) => !live.has(a.path)));
    return { skipped: true, committed: false, version: null, rows: 0, files: 0, txnVersion: c.txnVersion };
  }
  // A file another commit already added (a checkpoint's commit of chunks the final commit also carries) is not added twice.
  const adds = staged.filter((a) => !live.has(a.path));
  const partitions = [...snapshot.partitionColumns].sort().join(',');
  const stray = adds.find((a) => Object.keys(a.partitionValues).sort().join(',') !== partitions);
  if (stray !== undefined) {
    await discardStagedFiles(t.path, adds);
    throw new DeltaSinkError('DELTA_SCHEMA_MISMATCH', `${what}: files were staged with partition columns [${Object.keys(stray.partitionValues).join(', ')}], but the table is partitioned by [${snapshot.partitionColumns.join(', ')}] (it changed during the run)`, {
      hint: 'rerun the job',
    });
  }
  if (t.evolveSchema) evolve(tx, snapshot, columns);
  if (t.mode === 'overwrite') {
    tx.readTable();
    for (const f of snapshot.files) tx.removeFile(f);
  }
  for (const a of adds) tx.addFile(a);
  for (const [appId, version] of txns) tx.setAppTransaction(appId, version);
  const { resolveDataPath, locationExists } = await lakehouse.load();
  for (const a of adds) {
    // A failing job's writers delete their uncommitted files: never commit a reference to one that is gone.
    if (!(await locationExists(resolveDataPath(t.path, a.path)))) {
      throw new DeltaSinkError('DELTA_SINK_FAILED', `${what}: the staged data file ${a.path} is gone, so nothing was committed`, { hint: 'the job was probably failing (see its other errors); rerun it' });
    }
  }
  const parameters = c.operation === 'STREAMING UPDATE'
    ? { outputMode: t.mode === 'overwrite' ? 'Complete' : 'Append', queryId: c.appId, epochId: String(c.txnVersion) }
    : { mode: t.mode === 'overwrite' ? 'Overwrite' : 'Append', partitionBy: JSON.stringify(snapshot.partitionColumns) };
  // A failed commit keeps its files: they may be referenced already (an interrupted write of the log entry).
  const { version } = await tx.commit({ operation: c.operation, operationParameters: parameters, operationMetrics: { numFiles: adds.length, numOutputRows: count } });
  return { skipped: false, committed: true, version, rows: count, files: adds.length, txnVersion: c.txnVersion };
}

/**
 * Merge mode: an upsert on the key columns — matched target rows are updated with every column of the source row,
 * the others inserted. Several source rows with one key: the last wins (a sink sees a stream of changes). Skipped
 * when the table holds the txn already.
 */
export async function mergeRows(table: DeltaTable, m: {
  appId: string; txnVersion: number; mergeOn: readonly string[]; rows: readonly Row[]; columns: readonly CheckedColumn[]; evolveSchema: boolean;
  /** Every txn of the commit (default: appId at txnVersion). */
  txns?: ReadonlyMap<string, number>;
}): Promise<CommitResult> {
  const { MergeBuilder, DeltaTableError } = await lakehouse.load();
  const done = (await table.snapshot()).appTransactions.get(m.appId)?.version;
  if (done !== undefined && done >= m.txnVersion) return { skipped: true, committed: false, version: null, rows: 0, files: 0, txnVersion: m.txnVersion };
  const keys = m.mergeOn;
  const byKey = new Map<string, Row>();
  const keyless: Row[] = [];
  for (const row of m.rows) {
    if (keys.some((k) => row[k] === null || row[k] === undefined)) keyless.push(row);
    else byKey.set(JSON.stringify(keys.map((k) => String(row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k]))), row);
  }
  const source = [...byKey.values(), ...keyless];
  if (m.evolveSchema) {
    // MERGE reads the schema of the snapshot it starts from: add the new columns in a commit of their own first.
    const tx = await table.startTransaction();
    if (evolve(tx, tx.snapshot as Snapshot, m.columns)) await tx.commit({ operation: 'ADD COLUMNS', operationParameters: { columns: JSON.stringify(m.columns.map((c) => c.name)) } });
  }
  const start = async (): Promise<Transaction> => {
    const tx = await table.startTransaction();
    const committed = (tx.snapshot as Snapshot).appTransactions.get(m.appId)?.version;
    if (committed !== undefined && committed >= m.txnVersion) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `io.delta: txn ${m.appId}@${m.txnVersion} was committed concurrently`);
    for (const [appId, version] of m.txns ?? [[m.appId, m.txnVersion]]) tx.setAppTransaction(appId, version);
    return tx;
  };
  const result = await new MergeBuilder(start, source, { on: keys }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
  return {
    skipped: false, committed: result.committed, version: result.committed ? result.version : null, rows: m.rows.length,
    files: result.metrics.numTargetFilesAdded ?? 0, txnVersion: m.txnVersion, metrics: result.metrics,
  };
}
