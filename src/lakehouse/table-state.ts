/**
 * Log replay (PROTOCOL.md "Action Reconciliation"), as pure code over actions: the latest protocol and metaData win,
 * `add` and `remove` reconcile by path (the later action wins), the latest `txn` per appId wins.
 */
import type { Action, AddAction, MetadataAction, ProtocolAction, RemoveAction, TxnAction } from './actions.ts';

/**
 * The reconciled state of a table after applying actions in log order.
 *
 * @example
 * const state = new TableState();
 * state.apply([{ add: { path: 'a.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } }]);
 * state.files.size; // 1
 */
export class TableState {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  /** Live data files by path. */
  readonly files = new Map<string, AddAction>();
  /** Tombstones (removed files not yet vacuumed) by path. */
  readonly tombstones = new Map<string, RemoveAction>();
  /** Latest transaction version per application id. */
  readonly txns = new Map<string, TxnAction>();
  /** Action kinds met that Riffle does not interpret (cdc, domainMetadata, …), each with the log file it first came from. */
  readonly otherKinds = new Map<string, string | undefined>();
  /** The log file (commit or checkpoint) whose `add` put each live file in the table: errors about a file name it. */
  readonly addedIn = new Map<string, string>();

  /** Applies the actions of one commit (or checkpoint) in order; `logFile` names it in errors about what it added. */
  apply(actions: Iterable<Action>, logFile?: string): this {
    for (const a of actions) {
      if ('add' in a) {
        this.files.set(a.add.path, a.add);
        if (logFile !== undefined) this.addedIn.set(a.add.path, logFile);
        this.tombstones.delete(a.add.path);
      } else if ('remove' in a) {
        this.files.delete(a.remove.path);
        this.addedIn.delete(a.remove.path);
        this.tombstones.set(a.remove.path, a.remove);
      } else if ('metaData' in a) {
        this.metadata = a.metaData;
      } else if ('protocol' in a) {
        this.protocol = a.protocol;
      } else if ('txn' in a) {
        this.txns.set(a.txn.appId, a.txn);
      } else if ('other' in a) {
        if (!this.otherKinds.has(a.other.kind)) this.otherKinds.set(a.other.kind, logFile);
      }
    }
    return this;
  }
}
