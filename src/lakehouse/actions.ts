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

/**
 * Parses a commit file (newline-delimited JSON, one action per line), validating every action of a kind the protocol
 * defines (see `validateAction`); actions of other kinds are kept as `other` (feature checks name them). `file` names
 * the commit in errors. A file with no action at all (0 bytes, blank lines) is refused: a commit always holds one.
 *
 * @example
 * parseCommit('{"add":{"path":"a.parquet",…}}\n', 3); // [{ add: { path: 'a.parquet', … } }]
 */
export function parseCommit(text: string, version: number, file = `commit ${version}`): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (cause) {
      throw corrupt(file, i + 1, `is not JSON (${(cause as Error).message}): ${line.slice(0, 120)}`, cause);
    }
    actions.push(validateAction(obj, file, i + 1));
  }
  if (actions.length === 0) throw corrupt(file, undefined, text.length === 0 ? 'is empty (0 bytes): a commit holds at least one action' : 'holds no action');
  return actions;
}

function corrupt(file: string, line: number | undefined, reason: string, cause?: unknown): DeltaTableError {
  return new DeltaTableError('DELTA_LOG_CORRUPT', `Delta log file ${file}${line !== undefined ? ` line ${line}` : ''} ${reason}`, {
    context: { file, ...(line !== undefined ? { line } : {}) },
    hint: 'the log is damaged; restore the file from a backup, or read a version that does not need it (a later checkpoint covers older commits)',
    ...(cause !== undefined ? { cause } : {}),
  });
}

type Check = (v: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === 'string';
const nonEmpty: Check = (v) => typeof v === 'string' && v !== '';
/** A file's URI-encoded path: non-empty, and its percent-escapes decode (so a damaged path is refused with its log line). */
const uriPath: Check = (v) => {
  if (!nonEmpty(v)) return false;
  if (!(v as string).includes('%')) return true;
  try {
    decodeURIComponent(v as string);
    return true;
  } catch {
    return false;
  }
};
const int: Check = (v) => typeof v === 'number' && Number.isInteger(v);
const count: Check = (v) => int(v) && (v as number) >= 0;
const bool: Check = (v) => typeof v === 'boolean';
const obj: Check = isObject;
const strings: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const stringMap: Check = (v) => isObject(v) && Object.values(v).every((x) => typeof x === 'string');
const partitionMap: Check = (v) => isObject(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
/** Optional: absent or null is fine. */
const opt = (check: Check): Check => (v) => v === undefined || v === null || check(v);

/** The fields a known action must have (required unless wrapped in `opt`), as PROTOCOL.md "Actions" defines them. */
const SHAPES: Readonly<Record<string, Readonly<Record<string, Check>>>> = {
  add: {
    path: uriPath, partitionValues: partitionMap, size: count, modificationTime: int, dataChange: bool,
    stats: opt(str), tags: opt(obj), deletionVector: opt(obj), baseRowId: opt(int), defaultRowCommitVersion: opt(int), clusteringProvider: opt(str),
  },
  remove: {
    path: uriPath, deletionTimestamp: opt(int), dataChange: bool, extendedFileMetadata: opt(bool), partitionValues: opt(partitionMap),
    size: opt(count), stats: opt(str), tags: opt(obj), deletionVector: opt(obj), baseRowId: opt(int), defaultRowCommitVersion: opt(int),
  },
  metaData: {
    id: nonEmpty, name: opt(str), description: opt(str), format: obj, schemaString: str, partitionColumns: strings,
    configuration: opt(stringMap), createdTime: opt(int),
  },
  protocol: { minReaderVersion: (v) => int(v) && (v as number) >= 1, minWriterVersion: (v) => int(v) && (v as number) >= 1, readerFeatures: opt(strings), writerFeatures: opt(strings) },
  txn: { appId: str, version: int, lastUpdated: opt(int) },
  cdc: { path: uriPath, partitionValues: partitionMap, size: count, dataChange: bool, tags: opt(obj) },
  commitInfo: {},
  domainMetadata: { domain: str, configuration: str, removed: bool },
  checkpointMetadata: { version: int, tags: opt(obj) },
  sidecar: { path: uriPath, sizeInBytes: count, modificationTime: int, tags: opt(obj) },
};
const FIELD_TYPES: Readonly<Record<string, string>> = { path: 'a non-empty URI-encoded path (percent-escapes that decode)', partitionValues: 'an object of strings or nulls', size: 'an integer ≥ 0' };

/**
 * Checks one line of a commit (or a row of a checkpoint) is an action: an object with one key. Kinds the protocol
 * defines must have their required fields with the right types (a malformed action is refused, naming the field);
 * unknown kinds are returned as `other`, to be ignored or refused by the feature checks. `metaData.configuration` and
 * `format.options` default to `{}` when a writer leaves them out.
 *
 * @example
 * validateAction(JSON.parse(line), '00000000000000000003.json', 2);
 */
export function validateAction(value: unknown, file: string, line?: number): Action {
  if (!isObject(value)) throw corrupt(file, line, `is not an action (a JSON object with one key), it is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw corrupt(file, line, `is not an action: an action is an object with exactly one key, this one has ${keys.length === 0 ? 'none' : keys.map((k) => `'${k.slice(0, 40)}'`).join(', ')}`);
  const kind = keys[0];
  const body = value[kind];
  const shape = SHAPES[kind];
  if (shape === undefined) return { other: { kind, value: body } };
  if (!isObject(body)) throw corrupt(file, line, `has a '${kind}' action that is not an object`);
  for (const [field, check] of Object.entries(shape)) {
    if (!check(body[field])) {
      const got = body[field] === undefined ? 'missing' : JSON.stringify(body[field])?.slice(0, 80);
      throw corrupt(file, line, `has a malformed '${kind}' action: field '${field}' is ${got}${FIELD_TYPES[field] ? ` (expected ${FIELD_TYPES[field]})` : ''}`);
    }
  }
  if (kind === 'metaData') {
    const format = body.format as Record<string, unknown>;
    if (typeof format.provider !== 'string' || !opt(stringMap)(format.options)) throw corrupt(file, line, "has a malformed 'metaData' action: field 'format' must be { provider: string, options: object }");
    return { metaData: { ...body, format: { provider: format.provider, options: (format.options ?? {}) as Record<string, string> }, configuration: (body.configuration ?? {}) as Record<string, string> } as unknown as MetadataAction };
  }
  if (kind === 'domainMetadata' || kind === 'checkpointMetadata' || kind === 'sidecar') return { other: { kind, value: body } };
  return value as Action;
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
