/**
 * Copy-on-write: how delete, update, merge and replaceWhere change rows without deletion vectors. Every data file
 * that holds a changed row is removed (`remove`, dataChange true) and its surviving rows — copied unchanged or
 * updated — are written to new files (`add`, dataChange true) in the same commit; files with no changed row are not
 * touched. With the change data feed on, the row-level changes go to `_change_data/` files (`cdc` actions) so that
 * change readers see updates as pre/post images rather than as whole files deleted and re-inserted.
 */
import { readFileRows, mapLimit } from './file-rows.ts';
import type { DmlResult } from './delete.ts';
import type { DataFile, Snapshot } from './snapshot.ts';
import type { ChangeType, CommitOptions, Transaction } from './transaction.ts';
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
  const perFile = await mapLimit(files, 8, (f) => readFileRows(snapshot, f.add, snapshot.schema, snapshot.partitionColumns));
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

/**
 * What a row-level rewrite did to the files it scanned: the rewrites (files with a changed row, and the rows they
 * keep), and counts of rows deleted, updated and copied unchanged into the new files.
 *
 * @example
 * const { rewrites, deleted, copied } = await rewriteFiles(snapshot, files, (row) => (matchesRow(terms, row) ? null : undefined), changes);
 */
export interface FileRewrites {
  readonly rewrites: { readonly file: DataFile; readonly output: readonly Row[] }[];
  readonly deleted: number;
  readonly updated: number;
  readonly copied: number;
}

/**
 * Scans files and applies `change` to each row: undefined keeps it, null deletes it, a row replaces it. Files where
 * no row changed are left alone; changes are recorded in `changes` (delete, update pre/post images).
 *
 * @example
 * await rewriteFiles(snapshot, files, (row) => (matchesRow(terms, row) ? { ...row, status: 'done' } : undefined), changes);
 */
export async function rewriteFiles(snapshot: Snapshot, files: readonly DataFile[], change: (row: Record<string, DeltaValue>) => Row | null | undefined,
  changes: ChangeLog): Promise<FileRewrites> {
  const rewrites: { file: DataFile; output: Row[] }[] = [];
  let deleted = 0;
  let updated = 0;
  let copied = 0;
  for (const { file, rows } of await scanFiles(snapshot, files)) {
    const output: Row[] = [];
    let changed = 0;
    for (const row of rows) {
      const after = change(row);
      if (after === undefined) {
        output.push(row);
      } else if (after === null) {
        changes.add('delete', row);
        changed++;
        deleted++;
      } else {
        changes.add('update_preimage', row);
        changes.add('update_postimage', after);
        output.push(after);
        changed++;
        updated++;
      }
    }
    if (changed === 0) continue;
    copied += rows.length - changed;
    rewrites.push({ file, output });
  }
  return { rewrites, deleted, updated, copied };
}

/**
 * Stages a plan and commits it with its metrics (`base` plus file counts and execution time), or — when the plan
 * changes nothing — returns the version read with `committed: false` and zero file counts.
 *
 * @example
 * return commitRewrite(tx, plan, { numDeletedRows: 3 }, started, { operation: 'DELETE', operationParameters: { predicate } });
 */
export async function commitRewrite(tx: Transaction, plan: RewritePlan, base: Readonly<Record<string, number>>, started: number,
  commit: Omit<CommitOptions, 'operationMetrics'>): Promise<DmlResult> {
  if (plan.rewrites.length === 0 && plan.inserts.length === 0) {
    const metrics = { ...base, numAddedFiles: 0, numRemovedFiles: 0, numAddedChangeFiles: 0, executionTimeMs: Date.now() - started };
    return { version: (tx.snapshot as Snapshot).version, committed: false, metrics };
  }
  const counts = await stageRewrite(tx, plan);
  const metrics = { ...base, ...counts, executionTimeMs: Date.now() - started };
  const { version } = await tx.commit({ ...commit, operationMetrics: metrics });
  return { version, committed: true, metrics };
}
