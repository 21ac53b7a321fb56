/**
 * Delta log actions (PROTOCOL.md "Actions"): the lines of a commit file `_delta_log/%020d.json` and the rows of a
 * checkpoint. Types mirror the protocol's field names exactly, so serialization is plain JSON.
 */
import { DeltaTableError } from './errors.ts';
import { stringifyJson } from './value-mapping.ts';

/**
 * `protocol`: the reader/writer versions (and, at reader 3 / writer 7, the table features) a client must support.
 *
 * @example
 * const p: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };
 */
export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

/**
 * `metaData`: table id, schema (Spark JSON), partition columns, configuration (`delta.*` properties).
 *
 * @example
 * const m: MetadataAction = { id: crypto.randomUUID(), format: { provider: 'parquet', options: {} },
 *   schemaString: '{"type":"struct","fields":[]}', partitionColumns: [], configuration: {}, createdTime: Date.now() };
 */
export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

/**
 * `add`: a data file becomes part of the table. `path` is a URI-encoded path relative to the table root;
 * `partitionValues` are serialized strings (null for a null partition); `stats` is a JSON string.
 *
 * @example
 * const a: AddAction = { path: 'country=fr/part-00000-….parquet', partitionValues: { country: 'fr' }, size: 1024,
 *   modificationTime: Date.now(), dataChange: true, stats: '{"numRecords":10}' };
 */
export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: unknown;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

/**
 * `remove`: a data file leaves the table (a tombstone kept until vacuum).
 *
 * @example
 * const r: RemoveAction = { path: 'part-0.parquet', deletionTimestamp: Date.now(), dataChange: true };
 */
export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: unknown;
}

/**
 * `cdc`: a change data file (`_change_data/…`) holding the row-level changes of its commit, with a `_change_type`
 * column. Change data readers use a commit's cdc files instead of its add/remove actions; other readers ignore them.
 *
 * @example
 * const c: CdcAction = { path: '_change_data/cdc-00000-….c000.snappy.parquet', partitionValues: {}, size: 1213, dataChange: false };
 */
export interface CdcAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string> | null;
}

/**
 * `txn`: the last version an application (e.g. a streaming sink) committed, for idempotent writes.
 *
 * @example
 * const t: TxnAction = { appId: 'orders-sink', version: 7, lastUpdated: Date.now() };
 */
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

/**
 * `commitInfo`: provenance of a commit (free-form; Riffle writes timestamp, operation, operationParameters,
 * readVersion, isBlindAppend, engineInfo).
 *
 * @example
 * const c: CommitInfoAction = { timestamp: Date.now(), operation: 'WRITE', operationParameters: { mode: 'Append' } };
 */
export interface CommitInfoAction {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  readVersion?: number;
  isBlindAppend?: boolean;
  engineInfo?: string;
  [key: string]: unknown;
}

/**
 * One action of the log. Actions Riffle does not interpret (domainMetadata, …) are kept as `other` so that
 * feature checks can name them.
 *
 * @example
 * const a: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
 */
export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { cdc: CdcAction }
  | { txn: TxnAction }
  | { commitInfo: CommitInfoAction }
  | { other: { kind: string; value: unknown } };

const KNOWN = new Set(['protocol', 'metaData', 'add', 'remove', 'cdc', 'txn', 'commitInfo']);

/**
 * Parses a commit file (newline-delimited JSON, one action per line).
 *
 * @example
 * parseCommit('{"add":{"path":"a.parquet",…}}\n'); // [{ add: { path: 'a.parquet', … } }]
 */
export function parseCommit(text: string, version: number): Action[] {
  const actions: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch (cause) {
      throw new DeltaTableError('DELTA_LOG_INVALID', `commit ${version} has a line that is not JSON: ${line.slice(0, 120)}`, { cause });
    }
    const kind = Object.keys(obj)[0];
    if (kind === undefined) continue;
    actions.push(KNOWN.has(kind) ? (obj as Action) : { other: { kind, value: obj[kind] } });
  }
  return actions;
}

/**
 * Serializes actions as a commit file: one JSON object per line, newline-terminated.
 *
 * @example
 * serializeCommit([{ txn: { appId: 'a', version: 1 } }]); // '{"txn":{"appId":"a","version":1}}\n'
 */
export function serializeCommit(actions: readonly Action[]): string {
  return actions.map((a) => ('other' in a ? stringifyJson({ [a.other.kind]: a.other.value }) : stringifyJson(a))).join('\n') + '\n';
}
