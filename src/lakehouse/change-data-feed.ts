/**
 * Reading the change data feed (PROTOCOL.md "Reader Requirements for AddCDCFile"): for each version in a range, the
 * rows of its `cdc` files if it has any; otherwise the rows of its `add` files (dataChange true) as inserts and of
 * its `remove` files as deletes — so appends and whole-file overwrites contribute without change data files. Each
 * row carries `_change_type`, `_commit_version` and `_commit_timestamp`. The feed must have been on
 * (`delta.enableChangeDataFeed=true`) at every version read.
 */
import type { Action, MetadataAction } from './actions.ts';
import type { DeltaLog } from './delta-log.ts';
import { DeltaTableError } from './errors.ts';
import { type FileRef, mapLimit, readFileRows } from './file-rows.ts';
import { schemaFromJson } from './schema.ts';
import { commitTimestamps, Snapshot } from './snapshot.ts';
import type { DeltaValue } from './value-mapping.ts';

/**
 * The versions to read changes for (inclusive; the end defaults to the latest): by version, or by commit timestamp
 * (Date, ms since the epoch or ISO-8601) — from the first commit at or after `startingTimestamp` to the last commit
 * at or before `endingTimestamp`, as Delta resolves them.
 *
 * @example
 * await table.changes({ startingVersion: 3, endingVersion: 5 });
 * await table.changes({ startingTimestamp: '2024-05-01T00:00:00Z', endingTimestamp: new Date() });
 */
export interface ChangesOptions {
  readonly startingVersion?: number;
  readonly endingVersion?: number;
  readonly startingTimestamp?: Date | number | string;
  readonly endingTimestamp?: Date | number | string;
}

function millis(what: string, t: Date | number | string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (Number.isNaN(ms)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `changes: ${what} ${String(t)} is not a timestamp`);
  return ms;
}

/**
 * One change: the table's columns (canonical values) plus `_change_type` (insert, delete, update_preimage,
 * update_postimage), `_commit_version` and `_commit_timestamp` (µs since the epoch, as timestamps are).
 *
 * @example
 * for (const c of await table.changes({ startingVersion: 1 })) console.log(c._change_type, c._commit_version, c.id);
 */
export type ChangeRow = Record<string, DeltaValue> & { _change_type: string; _commit_version: bigint; _commit_timestamp: bigint };

const CHANGE_TYPE = { name: '_change_type', type: 'string', nullable: false, metadata: {} } as const;

/**
 * Reads the changes between two versions, in version order.
 *
 * @example
 * const changes = await readChanges(table.log, { startingVersion: 0 });
 */
export async function readChanges(log: DeltaLog, options: ChangesOptions = {}): Promise<ChangeRow[]> {
  const listing = await log.list();
  const latest = listing.commits.at(-1) ?? -1;
  const times = await commitTimestamps(log, listing.commits);
  if (options.startingVersion !== undefined && options.startingTimestamp !== undefined) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'changes: give startingVersion or startingTimestamp, not both');
  if (options.endingVersion !== undefined && options.endingTimestamp !== undefined) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'changes: give endingVersion or endingTimestamp, not both');
  let start = options.startingVersion ?? listing.commits[0] ?? 0;
  let end = options.endingVersion ?? latest;
  if (options.startingTimestamp !== undefined) {
    const ms = millis('startingTimestamp', options.startingTimestamp);
    const first = listing.commits.find((v) => (times.get(v) as number) >= ms);
    if (first === undefined) {
      throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `changes: no commit of ${log.tablePath} at or after ${new Date(ms).toISOString()} (the latest is ${latest >= 0 ? new Date(times.get(latest) as number).toISOString() : 'none'})`);
    }
    start = first;
  }
  if (options.endingTimestamp !== undefined) {
    const ms = millis('endingTimestamp', options.endingTimestamp);
    end = [...listing.commits].reverse().find((v) => (times.get(v) as number) <= ms) ?? -1;
    if (end < start) return []; // no commit in the window
  }
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > latest) {
    throw new DeltaTableError('DELTA_VERSION_NOT_FOUND', `changes: versions ${start} to ${end} are not a range of ${log.tablePath} (latest is ${latest})`);
  }
  const snapshot = await Snapshot.load(log, { version: start }, listing);
  let metadata: MetadataAction = snapshot.metadata;
  const out: ChangeRow[] = [];
  for (let v = start; v <= end; v++) {
    const actions: Action[] = await log.readCommit(v);
    for (const a of actions) if ('metaData' in a) metadata = a.metaData;
    if (metadata.configuration['delta.enableChangeDataFeed'] !== 'true') {
      const on = await enabledAfter(log, listing.commits.filter((c) => c > v));
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `changes: the change data feed was not enabled at version ${v} of ${log.tablePath}${on !== undefined ? ` (it is on from version ${on})` : ''}`, {
        hint: on !== undefined ? `read changes from version ${on} on (--from ${on})` : "enable it (riffle table set-property <table> delta.enableChangeDataFeed=true, or setProperties) and read the changes of the later versions",
      });
    }
    const schema = schemaFromJson(metadata.schemaString);
    const partitionColumns = metadata.partitionColumns;
    const cdcs = actions.flatMap((a) => ('cdc' in a ? [a.cdc] : []));
    const reads: { ref: FileRef; type?: string }[] = cdcs.length > 0
      ? cdcs.map((ref) => ({ ref }))
      : actions.flatMap((a): { ref: FileRef; type: string }[] => ('add' in a && a.add.dataChange ? [{ ref: a.add, type: 'insert' }]
        : 'remove' in a && a.remove.dataChange ? [{ ref: a.remove, type: 'delete' }] : []));
    const perFile = await mapLimit(reads, 8, (r) => readFileRows(log, r.ref, schema, partitionColumns, r.type ? [] : [CHANGE_TYPE]));
    const version = BigInt(v);
    const timestamp = BigInt(times.get(v) as number) * 1000n;
    reads.forEach((r, i) => {
      for (const row of perFile[i]) {
        out.push({ ...row, _change_type: r.type ?? (row._change_type as string), _commit_version: version, _commit_timestamp: timestamp });
      }
    });
  }
  return out;
}

/** The first of `versions` whose commit turns the change data feed on (for the error of reading before it). */
async function enabledAfter(log: DeltaLog, versions: readonly number[]): Promise<number | undefined> {
  for (const v of versions) {
    for (const a of await log.readCommit(v)) if ('metaData' in a && a.metaData.configuration['delta.enableChangeDataFeed'] === 'true') return v;
  }
  return undefined;
}
