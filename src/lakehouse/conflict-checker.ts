/**
 * Optimistic concurrency (PROTOCOL.md "Requirements for Writers"; Delta's conflict rules): when another writer won
 * the version this transaction wanted, decide from what the transaction read and changed whether it can simply be
 * retried at the next version, or conflicts.
 *
 * Rules, checked against each winning commit in order (as Delta's ConflictChecker, at Serializable isolation):
 * 1. the winner changed the protocol or the metadata (schema, partitioning, properties) → conflict; and if this
 *    transaction changes the metadata, any concurrent data change conflicts;
 * 2. the winner committed a `txn` for an appId this transaction also commits → conflict;
 * 3. the winner removed a file this transaction read (whatever its dataChange: a compaction of a file this
 *    transaction rewrites conflicts too) → conflict; or one it also removes without reading it → delete/delete;
 * 4. the winner added data (dataChange true) that this transaction should have read: it read the whole table, or
 *    one of its read predicates may match the new file (by partition values and min/max/nullCount stats) → conflict.
 * Otherwise the transaction is retried after the winner. So concurrent blind appends always succeed, a DELETE in
 * one partition and appends to another both commit, and compaction (dataChange false adds) never fails a reader.
 */
import type { Action, AddAction } from './actions.ts';
import { ConcurrentModificationError } from './errors.ts';

/**
 * What a transaction read and changed, as conflict detection needs it.
 *
 * @example
 * const blindAppend: TransactionFootprint = { readWholeTable: false, readPaths: new Set(), readPredicates: [],
 *   removedPaths: new Set(), appIds: new Set(), changesMetadata: false };
 */
export interface TransactionFootprint {
  /** The transaction's result depends on every file of the table (whole-table overwrite, predicate-function MERGE…). */
  readonly readWholeTable: boolean;
  /** Files whose rows the transaction read. */
  readonly readPaths: ReadonlySet<string>;
  /** Whether a new file may hold rows matching one of the transaction's read predicates. */
  readonly readPredicates: readonly ((add: AddAction) => boolean)[];
  readonly removedPaths: ReadonlySet<string>;
  readonly appIds: ReadonlySet<string>;
  readonly changesMetadata: boolean;
}

/**
 * Throws `ConcurrentModificationError` if the winning commit conflicts with the transaction.
 *
 * @example
 * checkConflicts(footprint, await log.readCommit(5), 5);
 */
export function checkConflicts(ours: TransactionFootprint, winning: readonly Action[], winningVersion: number): void {
  const fail = (conflict: string, what: string): never => {
    throw new ConcurrentModificationError(conflict, winningVersion, `a concurrent commit (version ${winningVersion}) ${what}`);
  };
  for (const a of winning) {
    if ('protocol' in a) fail('protocolChanged', 'changed the table protocol');
    if ('metaData' in a) fail('metadataChanged', 'changed the table metadata (schema, partitioning or properties)');
    if (ours.changesMetadata && ('add' in a || 'remove' in a)) fail('concurrentWrite', 'wrote data while this transaction changes the metadata');
    if ('txn' in a && ours.appIds.has(a.txn.appId)) fail('concurrentTransaction', `committed for the same application id '${a.txn.appId}'`);
    if ('remove' in a) {
      if (ours.readPaths.has(a.remove.path)) fail('concurrentDeleteRead', `removed file ${a.remove.path}, which this transaction read`);
      if (ours.removedPaths.has(a.remove.path)) fail('concurrentDeleteDelete', `also removed file ${a.remove.path}`);
      if (ours.readWholeTable && a.remove.dataChange) fail('concurrentDeleteRead', `removed file ${a.remove.path}, which this transaction read`);
    }
    if ('add' in a && a.add.dataChange) {
      if (ours.readWholeTable) fail('concurrentAppend', `added data (${a.add.path}) this transaction did not read`);
      if (ours.readPredicates.some((mayMatch) => mayMatch(a.add))) fail('concurrentAppend', `added file ${a.add.path}, which may hold rows matching what this transaction read`);
    }
  }
}
