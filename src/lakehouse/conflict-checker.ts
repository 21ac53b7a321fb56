/**
 * Optimistic concurrency (PROTOCOL.md "Requirements for Writers"; Delta's conflict rules): when another writer won
 * the version this transaction wanted, decide from what the transaction read and changed whether it can simply be
 * retried at the next version, or conflicts.
 *
 * Rules, checked against each winning commit in order:
 * 1. the winner changed the protocol or the metadata (schema, partitioning, properties) → conflict;
 * 2. the winner committed a `txn` for an appId this transaction also commits → conflict;
 * 3. the winner removed a file this transaction also removes → conflict (delete/delete);
 * 4. this transaction read the table (not a blind append) and the winner added or removed data files → conflict
 *    (what it read is stale).
 * So concurrent blind appends always succeed.
 */
import type { Action } from './actions.ts';
import { ConcurrentModificationError } from './errors.ts';

/**
 * What a transaction read and changed, as conflict detection needs it.
 *
 * @example
 * const blindAppend: TransactionFootprint = { readWholeTable: false, removedPaths: new Set(), appIds: new Set(), changesMetadata: false };
 */
export interface TransactionFootprint {
  /** The transaction's result depends on the table's files (overwrite, delete, merge…). */
  readonly readWholeTable: boolean;
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
    if ('remove' in a && ours.removedPaths.has(a.remove.path)) fail('concurrentDeleteDelete', `also removed file ${a.remove.path}`);
    if (ours.readWholeTable && 'add' in a && a.add.dataChange) fail('concurrentAppend', 'added data this transaction did not read');
    if (ours.readWholeTable && 'remove' in a && a.remove.dataChange) fail('concurrentDeleteRead', `removed file ${a.remove.path}, which this transaction read`);
  }
}
