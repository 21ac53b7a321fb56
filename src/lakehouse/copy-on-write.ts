/**
 * Copy-on-write: how delete, update, merge and replaceWhere change rows without deletion vectors. Every data file
 * that holds a changed row is removed (`remove`, dataChange true) and its surviving rows — copied unchanged or
 * updated — are written to new files (`add`, dataChange true) in the same commit; files with no changed row are not
 * touched. With the change data feed on, the row-level changes go to `_change_data/` files (`cdc` actions) so that
 * change readers see updates as pre/post images rather than as whole files deleted and re-inserted.
 */
import { readFileRows, mapLimit } from './file-rows.ts';
import type { DataFile, Snapshot } from './snapshot.ts';
import type { ChangeType, Transaction } from './transaction.ts';
import type { DeltaValue, Row } from './value-mapping.ts';

/**
 * The rows of one data file, read for rewriting.
 *
 * @example
 * for (const { file, rows } of await scanFiles(tx.snapshot, files)) console.log(file.path, rows.length);
 */
export interface ScannedFile {
  readonly file: DataFile;
  readonly rows: Record<string, DeltaValue>[];
}

/**
 * Reads the rows (all columns, partition values included) of the given files of a snapshot.
 *
 * @example
 * const scanned = await scanFiles(snapshot, snapshot.filesMatching(where).files);
 */
export async function scanFiles(snapshot: Snapshot, files: readonly DataFile[]): Promise<ScannedFile[]> {
  const perFile = await mapLimit(files, 8, (f) => readFileRows(snapshot.tablePath, f.add, snapshot.schema, snapshot.partitionColumns));
  return files.map((file, i) => ({ file, rows: perFile[i] }));
}

/**
 * Row-level changes of an operation, kept only when the table's change data feed is on (otherwise a MERGE of a
 * million rows would build millions of change records nobody reads).
 *
 * @example
 * const log = new ChangeLog(tx.changeDataFeed); log.add('delete', row); await stageRewrite(tx, { rewrites, inserts: [], changes: log.changes });
 */
export class ChangeLog {
  readonly changes: { readonly type: ChangeType; readonly row: Row }[] = [];
  constructor(private readonly enabled: boolean) {}

  add(type: ChangeType, row: Row): void {
    if (this.enabled) this.changes.push({ type, row });
  }
}

/**
 * What an operation changes: files to replace with the rows that survive in them, new rows, and row-level changes
 * (for the change data feed).
 *
 * @example
 * const plan: RewritePlan = { rewrites: [{ file, output: keptRows }], inserts: [], changes: [{ type: 'delete', row }] };
 */
export interface RewritePlan {
  readonly rewrites: readonly { readonly file: DataFile; readonly output: readonly Row[] }[];
  readonly inserts: readonly Row[];
  readonly changes: readonly { readonly type: ChangeType; readonly row: Row }[];
}

/**
 * File counts of a staged rewrite (for operation metrics).
 *
 * @example
 * const { numAddedFiles, numRemovedFiles } = await stageRewrite(tx, plan);
 */
export interface RewriteCounts {
  readonly numAddedFiles: number;
  readonly numRemovedFiles: number;
  readonly numAddedChangeFiles: number;
}

/**
 * Stages a plan in a transaction: removes the rewritten files, writes surviving and inserted rows (validated
 * against the schema, grouped by partition), and, if the change data feed is on, the change data files.
 *
 * @example
 * const counts = await stageRewrite(tx, plan); await tx.commit({ operation: 'DELETE', operationMetrics: { ...counts } });
 */
export async function stageRewrite(tx: Transaction, plan: RewritePlan): Promise<RewriteCounts> {
  const now = Date.now();
  for (const { file } of plan.rewrites) tx.removeFile(file, now);
  const rows: Row[] = [];
  for (const { output } of plan.rewrites) for (const r of output) rows.push(r);
  for (const r of plan.inserts) rows.push(r);
  const adds = await tx.writeRows(rows);
  const cdcs = tx.changeDataFeed ? await tx.writeChangeData(plan.changes) : [];
  return { numAddedFiles: adds.length, numRemovedFiles: plan.rewrites.length, numAddedChangeFiles: cdcs.length };
}
