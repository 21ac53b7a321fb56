/**
 * A snapshot: the state of a table at one version, reconstructed from the latest checkpoint at or before that
 * version plus the JSON commits after it; time travel by version or by timestamp; and the file list SQL engines
 * need.
 */
import type { AddAction, MetadataAction, ProtocolAction, TxnAction } from './actions.ts';
import { readCheckpoint } from './checkpoint.ts';
import { type DeltaLog, type LogListing, versionName } from './delta-log.ts';
import { describeMissingTable } from './not-a-table.ts';
import { DeltaTableError } from './errors.ts';
import { type FileStats, parseStats } from './file-stats.ts';
import { isAbsoluteUri, resolveDataPath } from './data-path.ts';
import { compilePredicate, mayMatchFile, type Predicate } from './predicate.ts';
import { schemaFromJson, type TableSchema } from './schema.ts';
import { assertAddReadable, assertReadable } from './table-features.ts';
import { TableState } from './table-state.ts';
import { type DeltaValue, fromPartitionString } from './value-mapping.ts';

/**
 * One data file of a snapshot, as a query engine needs it.
 *
 * @example
 * for (const f of snapshot.files) console.log(f.absolutePath, f.partitionValues, f.stats.numRecords);
 */
export interface DataFile {
  /** `add.path`: relative to the table root and URI-encoded (as in the log). */
  readonly path: string;
  /** The file's location on the local filesystem. */
  readonly absolutePath: string;
  /** Partition values, parsed to canonical values (see `DeltaType`). */
  readonly partitionValues: Readonly<Record<string, DeltaValue>>;
  readonly size: number;
  readonly modificationTime: number;
  /** Parsed statistics (`numRecords` undefined when the writer recorded none). */
  readonly stats: FileStats;
  /** The raw `add` action. */
  readonly add: AddAction;
  /**
   * The table root the file must stay inside (symbolic links included) when it is read; undefined for a file the log
   * names by absolute URI (allowed with `allowExternalFiles`).
   */
  readonly tableRoot?: string;
  /** The log file (commit or checkpoint) whose `add` action put the file in the table, when known. */
  readonly logFile?: string;
}

/**
 * Where to time-travel to: a version, or the latest version committed at or before a timestamp.
 *
 * @example
 * await table.read({ timestamp: '2024-05-01T12:00:00Z' });
 */
export interface VersionSelector {
  readonly version?: number;
  /** A Date, ms since the epoch, or an ISO-8601 string. */
  readonly timestamp?: Date | number | string;
}

/**
 * The reconciled state of a table at one version.
 *
 * @example
 * const snap = await Snapshot.load(new DeltaLog('/data/events'), { version: 3 });
 * snap.files.map((f) => f.absolutePath);
 */
export class Snapshot {
  readonly version: number;
  /** The table's root directory. */
  readonly tablePath: string;
  /** Whether data files outside the table (absolute URIs in the log) may be read. */
  readonly allowExternalFiles: boolean;
  readonly protocol: ProtocolAction;
  readonly metadata: MetadataAction;
  readonly schema: TableSchema;
  readonly partitionColumns: readonly string[];
  readonly files: readonly DataFile[];
  /** Latest committed version per streaming application id (`txn`). */
  readonly appTransactions: ReadonlyMap<string, TxnAction>;
  /** The reconciled actions (for writers building on this snapshot, and checkpoints). */
  readonly state: TableState;

  private constructor(log: DeltaLog, version: number, state: TableState) {
    const { protocol, metadata } = state;
    if (!protocol || !metadata) {
      throw new DeltaTableError('DELTA_LOG_INVALID', `the log of ${log.tablePath} has no ${protocol ? 'metaData' : 'protocol'} action at version ${version}`);
    }
    assertReadable(protocol, metadata, state.otherKinds); // names every unsupported feature, column type and action kind
    this.version = version;
    this.tablePath = log.tablePath;
    this.allowExternalFiles = log.allowExternalFiles;
    this.protocol = protocol;
    this.metadata = metadata;
    this.schema = schemaFromJson(metadata.schemaString);
    this.partitionColumns = metadata.partitionColumns;
    this.state = state;
    this.appTransactions = state.txns;
    const fieldOf = new Map(this.schema.fields.map((f) => [f.name, f]));
    const dataFields = this.schema.fields.filter((f) => !this.partitionColumns.includes(f.name));
    this.files = [...state.files.values()].map((add) => {
      assertAddReadable(add);
      const partitionValues: Record<string, DeltaValue> = {};
      for (const c of this.partitionColumns) {
        const field = fieldOf.get(c);
        if (!field) throw new DeltaTableError('DELTA_LOG_INVALID', `partition column '${c}' is not in the schema`);
        partitionValues[c] = fromPartitionString(field.type, add.partitionValues[c]);
      }
      const absolutePath = resolveDataPath(log.tablePath, add.path, log);
      const inside = !isAbsoluteUri(add.path);
      const logFile = state.addedIn.get(add.path);
      return {
        path: add.path, absolutePath, partitionValues, size: add.size,
        modificationTime: add.modificationTime, stats: parseStats(add.stats, dataFields, add.tags), add, ...(inside ? { tableRoot: log.tablePath } : {}),
        ...(logFile !== undefined ? { logFile } : {}),
      };
    });
  }

  /**
   * Loads the snapshot at a version, at a timestamp, or (by default) the latest.
   *
   * Strategy: 1. list the log; 2. resolve the target version (a timestamp maps to the last commit at or before it);
   * 3. start from the latest complete checkpoint ≤ target, if any — one that cannot be read (damaged Parquet, a
   * malformed action) is skipped with a warning for the previous checkpoint, then for the commits from version 0,
   * as long as the commits needed are all there; 4. replay the commits after it in order, each one required (a gap
   * is an error, never a silently partial table); 5. check the protocol is readable.
   */
  static async load(log: DeltaLog, at: VersionSelector = {}, listing?: LogListing): Promise<Snapshot> {
    const list = listing ?? (await log.list());
    const latestCommit = list.commits.at(-1) ?? -1;
    const latestCheckpoint = list.checkpoints.at(-1)?.version ?? -1;
    const latest = Math.max(latestCommit, latestCheckpoint);
    if (latest < 0) throw await describeMissingTable(log.tablePath);
    let target = latest;
    if (at.version !== undefined && at.timestamp !== undefined) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'give a version or a timestamp, not both');
    }
    if (at.version !== undefined) {
      if (!Number.isInteger(at.version) || at.version < 0 || at.version > latest) {
        throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `version ${at.version} of ${log.tablePath} does not exist (latest is ${latest})`);
      }
      target = at.version;
    } else if (at.timestamp !== undefined) {
      target = await versionAtTimestamp(log, list, at.timestamp);
    }
    const have = new Set(list.commits);
    const gapAfter = (from: number): number | undefined => {
      for (let v = from; v <= target; v++) if (!have.has(v)) return v;
      return undefined;
    };
    let state = new TableState();
    let from = 0;
    const skipped: { name: string; reason: string; cause: unknown }[] = [];
    for (const checkpoint of [...list.checkpoints].reverse().filter((c) => c.version <= target)) {
      try {
        state = new TableState().apply(await readCheckpoint(log, checkpoint), checkpoint.files.join(', '));
        from = checkpoint.version + 1;
        break;
      } catch (cause) {
        skipped.push({ name: checkpoint.files.join(', '), reason: cause instanceof Error ? cause.message.split('\n')[0] : String(cause), cause });
      }
    }
    const missing = gapAfter(from);
    if (missing !== undefined) {
      if (skipped.length > 0) {
        const last = skipped[skipped.length - 1];
        throw new DeltaTableError('DELTA_LOG_CORRUPT',
          `version ${target} of ${log.tablePath} cannot be read: checkpoint ${skipped.map((k) => k.name).join(' and ')} cannot be read (${last.reason}) and commit ${missing}, needed to rebuild the table without it, is gone`, {
            cause: last.cause, context: { checkpoint: last.name }, hint: 'restore the checkpoint (or the cleaned-up commits) from a backup',
          });
      }
      throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `commit ${missing} of ${log.tablePath} is missing, so version ${target} cannot be reconstructed`, {
        hint: 'the log was cleaned up past this version; read a later version',
      });
    }
    for (const k of skipped) log.warn(`skipped unreadable checkpoint ${k.name} of ${log.tablePath} (${k.reason}); rebuilt the table from ${from === 0 ? 'its commits' : `checkpoint ${from - 1} and the commits after it`}`);
    for (let v = from; v <= target; v++) state.apply(await log.readCommit(v), `${versionName(v)}.json`);
    return new Snapshot(log, target, state);
  }

  /**
   * The files that may hold rows matching `where` (partition pruning and min/max/nullCount data skipping), and
   * how many were skipped.
   *
   * @example
   * const { files, skipped } = snapshot.filesMatching({ country: 'fr' });
   */
  filesMatching(where?: Predicate): { files: DataFile[]; skipped: number } {
    const terms = compilePredicate(where, this.schema);
    const files = this.files.filter((f) => mayMatchFile(terms, f.partitionValues, f.stats));
    return { files, skipped: this.files.length - files.length };
  }
}

function toMillis(t: Date | number | string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `invalid timestamp ${String(t)}`);
  return ms;
}

/**
 * Commit timestamps: each commit file's modification time (the protocol's commit timestamp without in-commit
 * timestamps), made strictly increasing as Delta does (a commit never predates the previous one).
 *
 * @example
 * const times = await commitTimestamps(log, (await log.list()).commits); times.get(0);
 */
export async function commitTimestamps(log: DeltaLog, commits: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let previous = -Infinity;
  for (const v of commits) {
    const t = Math.max(Math.floor(await log.commitFileTime(v)), previous + 1);
    out.set(v, t);
    previous = t;
  }
  return out;
}

async function versionAtTimestamp(log: DeltaLog, list: LogListing, timestamp: Date | number | string): Promise<number> {
  const ms = toMillis(timestamp);
  const times = await commitTimestamps(log, list.commits);
  let found = -1;
  for (const [v, t] of times) if (t <= ms) found = v;
  if (found < 0) {
    const first = list.commits[0];
    throw new DeltaTableError('DELTA_VERSION_NOT_FOUND',
      `no version of ${log.tablePath} existed at ${new Date(ms).toISOString()}${first !== undefined ? ` (the earliest commit is ${new Date(times.get(first) as number).toISOString()})` : ''}`);
  }
  return found;
}
