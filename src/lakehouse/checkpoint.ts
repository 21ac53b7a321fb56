/**
 * Classic single-file Parquet checkpoints (`_delta_log/%020d.checkpoint.parquet`, PROTOCOL.md "Checkpoints",
 * "Checkpoint Schema") and the `_last_checkpoint` pointer. A checkpoint holds the reconciled state at its version —
 * protocol, metaData, txn, live `add`s and unexpired `remove` tombstones — one action per row, so readers start
 * from it instead of replaying every commit. Reading also accepts multi-part checkpoints from other writers.
 */
import { type Action, type AddAction, type MetadataAction, type ProtocolAction, type RemoveAction, type TxnAction, validateAction } from './actions.ts';
import type { CheckpointRef, DeltaLog } from './delta-log.ts';
import { versionName } from './delta-log.ts';
import { DeltaTableError } from './errors.ts';
import { parquetWriteWithCrc } from './parquet-crc.ts';
import { bytesSource, GuardedParquet } from './parquet-guard.ts';
import { compressorsFor, writeCompressors } from './parquet-io.ts';
import type { TableState } from './table-state.ts';
import { deletedFileRetentionMs } from './table-properties.ts';
import { stringifyJson } from './value-mapping.ts';

type SchemaElement = import('hyparquet').SchemaElement;

const str = (name: string, required = false): SchemaElement =>
  ({ name, repetition_type: required ? 'REQUIRED' : 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' });
const i64 = (name: string): SchemaElement => ({ name, repetition_type: 'OPTIONAL', type: 'INT64' });
const i32 = (name: string): SchemaElement => ({ name, repetition_type: 'OPTIONAL', type: 'INT32' });
const bool = (name: string): SchemaElement => ({ name, repetition_type: 'OPTIONAL', type: 'BOOLEAN' });
const group = (name: string, children: number): SchemaElement => ({ name, repetition_type: 'OPTIONAL', num_children: children });
const stringMap = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  str('key', true),
  str('value'),
];
const stringList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  str('element'),
];

/** The checkpoint's Parquet schema (depth-first, as Parquet stores it). */
const CHECKPOINT_SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: 5 },
  group('txn', 3), str('appId'), i64('version'), i64('lastUpdated'),
  group('add', 7), str('path'), ...stringMap('partitionValues'), i64('size'), i64('modificationTime'), bool('dataChange'), str('stats'), ...stringMap('tags'),
  group('remove', 6), str('path'), i64('deletionTimestamp'), bool('dataChange'), bool('extendedFileMetadata'), ...stringMap('partitionValues'), i64('size'),
  group('metaData', 8), str('id'), str('name'), str('description'), group('format', 2), str('provider'), ...stringMap('options'),
  str('schemaString'), ...stringList('partitionColumns'), ...stringMap('configuration'), i64('createdTime'),
  group('protocol', 4), i32('minReaderVersion'), i32('minWriterVersion'), ...stringList('readerFeatures'), ...stringList('writerFeatures'),
];

const big = (n: number | null | undefined): bigint | null => (n === null || n === undefined ? null : BigInt(n));


/**
 * Writes the checkpoint of `state` at `version`, then points `_last_checkpoint` at it. Both files are replaced
 * atomically, so concurrent checkpointers of one version are harmless.
 *
 * @example
 * await writeCheckpoint(log, snapshotState, 10);
 */
export async function writeCheckpoint(log: DeltaLog, state: TableState, version: number, now = Date.now()): Promise<void> {
  const { protocol, metadata } = state;
  if (!protocol || !metadata) throw new DeltaTableError('DELTA_LOG_INVALID', `no protocol/metaData at version ${version}`);
  const txn: unknown[] = [];
  const add: unknown[] = [];
  const remove: unknown[] = [];
  const metaData: unknown[] = [];
  const proto: unknown[] = [];
  const row = (k: 'txn' | 'add' | 'remove' | 'metaData' | 'protocol', v: unknown): void => {
    txn.push(k === 'txn' ? v : null); add.push(k === 'add' ? v : null); remove.push(k === 'remove' ? v : null);
    metaData.push(k === 'metaData' ? v : null); proto.push(k === 'protocol' ? v : null);
  };
  row('protocol', {
    minReaderVersion: protocol.minReaderVersion, minWriterVersion: protocol.minWriterVersion,
    readerFeatures: protocol.readerFeatures ?? null, writerFeatures: protocol.writerFeatures ?? null,
  });
  row('metaData', {
    id: metadata.id, name: metadata.name ?? null, description: metadata.description ?? null,
    format: { provider: metadata.format.provider, options: metadata.format.options ?? {} },
    schemaString: metadata.schemaString, partitionColumns: metadata.partitionColumns,
    configuration: metadata.configuration, createdTime: big(metadata.createdTime),
  });
  for (const t of state.txns.values()) row('txn', { appId: t.appId, version: big(t.version), lastUpdated: big(t.lastUpdated) });
  for (const a of state.files.values()) {
    row('add', {
      path: a.path, partitionValues: a.partitionValues, size: big(a.size), modificationTime: big(a.modificationTime),
      dataChange: false, stats: a.stats ?? null, tags: a.tags ?? null,
    });
  }
  // Tombstones older than delta.deletedFileRetentionDuration leave the checkpoint (vacuum may delete their files).
  const horizon = now - deletedFileRetentionMs(metadata);
  for (const r of state.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) < horizon) continue;
    row('remove', {
      path: r.path, deletionTimestamp: big(r.deletionTimestamp), dataChange: false,
      extendedFileMetadata: r.extendedFileMetadata ?? null, partitionValues: r.partitionValues ?? null, size: big(r.size),
    });
  }
  const compressors = await writeCompressors();
  const bytes = await parquetWriteWithCrc({
    schema: CHECKPOINT_SCHEMA,
    columnData: [
      { name: 'txn', data: txn }, { name: 'add', data: add }, { name: 'remove', data: remove },
      { name: 'metaData', data: metaData }, { name: 'protocol', data: proto },
    ],
    createdBy: 'riffle', compressors,
  });
  await log.replaceFile(`${versionName(version)}.checkpoint.parquet`, bytes);
  await log.replaceFile('_last_checkpoint', stringifyJson({ version, size: add.length, sizeInBytes: bytes.byteLength, numOfAddFiles: state.files.size }));
}

/** Parquet maps may decode as objects or as lists of {key, value}; normalize to an object. */
function toRecord(value: unknown): Record<string, string | null> {
  if (value === null || value === undefined) return {};
  if (value instanceof Map) return Object.fromEntries(value);
  if (Array.isArray(value)) return Object.fromEntries(value.map((e: { key: string; value: string | null }) => [e.key, e.value ?? null]));
  return value as Record<string, string | null>;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Reads the actions of a checkpoint (all its parts).
 *
 * @example
 * const actions = await readCheckpoint(log, { version: 10, files: ['00000000000000000010.checkpoint.parquet'] });
 */
export async function readCheckpoint(log: DeltaLog, ref: CheckpointRef): Promise<Action[]> {
  const actions: Action[] = [];
  for (const name of ref.files) {
    const buf = await log.readOptional(name);
    if (!buf) throw new DeltaTableError('DELTA_LOG_CORRUPT', `checkpoint file ${name} of ${log.tablePath} disappeared while reading`);
    const label = `${log.dir}/${name}`;
    const pq = await GuardedParquet.open(bytesSource(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)), label);
    const { metadata } = pq;
    const present = new Set(metadata.schema.map((e) => e.name));
    // Every checkpoint writer gives the schema these action columns (its footer has no checksum: a damaged name
    // must not read as "no files").
    const lacking = ref.files.length === 1 ? ['protocol', 'metaData', 'add'].filter((c) => !present.has(c)) : [];
    if (lacking.length > 0) throw new DeltaTableError('DELTA_LOG_CORRUPT', `checkpoint file ${label} has no '${lacking.join("', '")}' column`);
    const columns = ['protocol', 'metaData', 'txn', 'add', 'remove'].filter((c) => present.has(c));
    pq.useCompressors(await compressorsFor(metadata));
    const rows: Record<string, any>[] = [];
    for (let g = 0; g < metadata.row_groups.length; g++) {
      await pq.readRowGroup(g, { columns, rowFormat: 'object', onComplete: (r: Record<string, any>[]) => { for (const x of r) rows.push(x); } });
    }
    const start = actions.length;
    for (const r of rows as Record<string, any>[]) {
      if (r.protocol) {
        const p: ProtocolAction = { minReaderVersion: Number(r.protocol.minReaderVersion), minWriterVersion: Number(r.protocol.minWriterVersion) };
        if (r.protocol.readerFeatures) p.readerFeatures = r.protocol.readerFeatures;
        if (r.protocol.writerFeatures) p.writerFeatures = r.protocol.writerFeatures;
        actions.push({ protocol: p });
      } else if (r.metaData) {
        const m = r.metaData;
        const meta: MetadataAction = {
          id: m.id, name: m.name ?? null, description: m.description ?? null,
          format: { provider: m.format?.provider ?? 'parquet', options: toRecord(m.format?.options) as Record<string, string> },
          schemaString: m.schemaString, partitionColumns: m.partitionColumns ?? [],
          configuration: toRecord(m.configuration) as Record<string, string>, createdTime: num(m.createdTime),
        };
        actions.push({ metaData: meta });
      } else if (r.txn) {
        const t: TxnAction = { appId: r.txn.appId, version: Number(r.txn.version), lastUpdated: num(r.txn.lastUpdated) };
        actions.push({ txn: t });
      } else if (r.add) {
        const a = r.add;
        const add: AddAction = {
          path: a.path, partitionValues: toRecord(a.partitionValues), size: Number(a.size),
          modificationTime: Number(a.modificationTime), dataChange: Boolean(a.dataChange), stats: a.stats ?? null,
        };
        if (a.tags) add.tags = toRecord(a.tags) as Record<string, string>;
        if (a.deletionVector) add.deletionVector = a.deletionVector;
        actions.push({ add });
      } else if (r.remove) {
        const x = r.remove;
        const remove: RemoveAction = {
          path: x.path, deletionTimestamp: num(x.deletionTimestamp), dataChange: Boolean(x.dataChange),
          extendedFileMetadata: x.extendedFileMetadata ?? undefined, partitionValues: x.partitionValues ? toRecord(x.partitionValues) : null, size: num(x.size),
        };
        actions.push({ remove });
      }
    }
    // The rows were typed by the checkpoint's Parquet schema; the actions built from them must still be actions.
    for (let i = start; i < actions.length; i++) actions[i] = validateAction(actions[i], label);
  }
  return actions;
}
