/**
 * Which protocol versions and table features Riffle implements, and the checks that refuse the rest with an error
 * naming the feature (PROTOCOL.md "Table Features", "Reader/Writer Version Requirements").
 *
 * Riffle reads reader version 1 (and 3 with no reader feature it lacks: `timestampNtz` and `vacuumProtocolCheck`) and
 * writes writer versions 2 to 4 (3 and 4 only while the table has no check constraint or generated column, 4 adding
 * the change data feed) and 7 with only `appendOnly`, `changeDataFeed` and `timestampNtz`. Anything else — column
 * mapping, deletion vectors, v2 checkpoints, constraints, generated or identity columns, row tracking, … — is
 * refused rather than risk wrong results.
 */
import type { AddAction, MetadataAction, ProtocolAction } from './actions.ts';
import { UnsupportedFeatureError } from './errors.ts';
import { type DeltaType, holdsTimestampNtz, type SchemaField, type TableSchema, unreadableTypes } from './schema.ts';
import { TABLE_PROPERTIES } from './table-properties.ts';
import { compareUtf8 } from './value-order.ts';

/**
 * The protocol Riffle writes for new tables: reader 1, writer 2 (appendOnly and invariants known to writer 2).
 *
 * @example
 * tx.setMetadata(metadata, DEFAULT_PROTOCOL);
 */
export const DEFAULT_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };

/**
 * The protocol of a new table with the change data feed on: writer 4 (readers are unaffected: reader 1 still reads).
 *
 * @example
 * tx.setMetadata(metadata, CDF_PROTOCOL);
 */
export const CDF_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 4 };

/** Reader features Riffle can read past (vacuumProtocolCheck only constrains vacuum, which checks writer features like any write). */
const READER_FEATURES: ReadonlySet<string> = new Set(['vacuumProtocolCheck', 'timestampNtz']);
/** Writer features Riffle honours when writing. */
const WRITER_FEATURES: ReadonlySet<string> = new Set(['appendOnly', 'changeDataFeed', 'timestampNtz']);

/**
 * The protocol a table needs once its schema is `fields`: `protocol` itself, or — when a timestamp_ntz column (or
 * one holding timestamp_ntz values, nested) appears and the protocol lacks the `timestampNtz` feature (PROTOCOL.md "Timestamp without timezone") — reader 3 /
 * writer 7 listing it, with the features the legacy versions implied that Riffle writes (appendOnly from writer 2,
 * changeDataFeed from writer 4) listed explicitly, as writer 7 requires.
 *
 * @example
 * protocolForSchema(DEFAULT_PROTOCOL, [{ name: 'at', type: 'timestamp_ntz', nullable: true, metadata: {} }]);
 * // { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['appendOnly', 'timestampNtz'] }
 */
export function protocolForSchema(protocol: ProtocolAction, fields: readonly SchemaField[]): ProtocolAction {
  if (!fields.some((f) => holdsTimestampNtz(f.nested ?? (f.type as DeltaType)))) return protocol;
  const hasReader = protocol.minReaderVersion === 3 && (protocol.readerFeatures ?? []).includes('timestampNtz');
  const hasWriter = protocol.minWriterVersion === 7 && (protocol.writerFeatures ?? []).includes('timestampNtz');
  if (hasReader && hasWriter) return protocol;
  const legacyWriter = protocol.minWriterVersion < 7 ? [...(protocol.minWriterVersion >= 2 ? ['appendOnly'] : []), ...(protocol.minWriterVersion >= 4 ? ['changeDataFeed'] : [])] : [];
  const readerFeatures = protocol.minReaderVersion === 3 ? [...(protocol.readerFeatures ?? [])] : [];
  const writerFeatures = protocol.minWriterVersion === 7 ? [...(protocol.writerFeatures ?? [])] : legacyWriter;
  if (!readerFeatures.includes('timestampNtz')) readerFeatures.push('timestampNtz');
  if (!writerFeatures.includes('timestampNtz')) writerFeatures.push('timestampNtz');
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures, writerFeatures };
}

/** What a legacy writer version adds over the previous one (for error messages). */
const WRITER_VERSION_FEATURES: Record<number, string> = {
  3: 'checkConstraints', 4: 'changeDataFeed / generatedColumns', 5: 'columnMapping', 6: 'identityColumns',
};

/** Unsupported features found so far, each with why; thrown as one error naming them all (sorted). */
class Refusals {
  private readonly found = new Map<string, string>();
  constructor(private readonly access: 'read' | 'write') {}
  add(feature: string, detail: string): void {
    if (!this.found.has(feature)) this.found.set(feature, detail);
  }
  throwAny(): void {
    if (this.found.size === 0) return;
    const features = [...this.found.keys()].sort(compareUtf8);
    throw new UnsupportedFeatureError(features, this.access, features.map((f) => this.found.get(f)).join('; '));
  }
}

function readRefusals(protocol: ProtocolAction, metadata: MetadataAction | undefined, actionKinds: ReadonlyMap<string, string | undefined>, refusals: Refusals): void {
  const v = protocol.minReaderVersion;
  if (v === 2) refusals.add('columnMapping', 'the table requires reader version 2 (column mapping)');
  if (v > 3) refusals.add(`readerVersion ${v}`, `the table requires reader version ${v}; Riffle reads versions 1 and 3`);
  if (v === 3) {
    for (const feature of protocol.readerFeatures ?? []) {
      if (!READER_FEATURES.has(feature)) refusals.add(feature, `the table lists reader feature '${feature}'`);
    }
  }
  const mode = metadata?.configuration['delta.columnMapping.mode'];
  if (mode !== undefined && mode !== 'none') refusals.add('columnMapping', `delta.columnMapping.mode is '${mode}'`);
  if (metadata && metadata.format.provider !== 'parquet') {
    refusals.add(`format ${metadata.format.provider}`, 'data files are not Parquet');
  }
  for (const { name, type } of metadata ? unreadableTypes(metadata.schemaString) : []) {
    refusals.add(`type ${type}`, `column '${name}' has type ${type}, which Riffle cannot read yet`);
  }
  for (const [kind, logFile] of actionKinds) {
    if (!KNOWN_ACTIONS.has(kind)) refusals.add(kind, `the log holds '${kind}' actions${logFile !== undefined ? ` (first in ${logFile})` : ''}`);
  }
}

/** Actions a reader may meet besides add/remove/metaData/protocol/txn, and ignore. */
const KNOWN_ACTIONS: ReadonlySet<string> = new Set(['cdc', 'commitInfo', 'domainMetadata', 'checkpointMetadata']);

/**
 * Throws `UnsupportedFeatureError` unless Riffle can read a table with this protocol, metadata (its schema's column
 * types) and log action kinds. The error names every unsupported feature, sorted (`e.features`).
 *
 * @example
 * assertReadable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'] }); // throws, names deletionVectors
 */
export function assertReadable(protocol: ProtocolAction, metadata?: MetadataAction, actionKinds: ReadonlyMap<string, string | undefined> = new Map()): void {
  const refusals = new Refusals('read');
  readRefusals(protocol, metadata, actionKinds, refusals);
  refusals.throwAny();
}

/**
 * Throws `UnsupportedFeatureError` unless Riffle can write to a table with this protocol, metadata and schema
 * (writing needs everything reading needs: a table Riffle cannot read is refused for reading first). The error names
 * every feature that stops the write, sorted.
 *
 * @example
 * assertWritable({ minReaderVersion: 1, minWriterVersion: 4 }, metadata, schema); // throws, names changeDataFeed / generatedColumns
 */
export function assertWritable(protocol: ProtocolAction, metadata: MetadataAction, schema: TableSchema): void {
  assertReadable(protocol, metadata);
  const refusals = new Refusals('write');
  const v = protocol.minWriterVersion;
  if (v > 7) refusals.add(`writerVersion ${v}`, `the table requires writer version ${v}`);
  if (v === 7) {
    for (const feature of protocol.writerFeatures ?? []) {
      if (!WRITER_FEATURES.has(feature)) refusals.add(feature, `the table lists writer feature '${feature}'`);
    }
  } else if (v > 4 && v < 7) {
    refusals.add(WRITER_VERSION_FEATURES[v] ?? `writerVersion ${v}`, `the table requires writer version ${v}; Riffle writes versions 2 to 4 and 7`);
  }
  for (const field of schema.fields) {
    if (field.metadata['delta.invariants'] !== undefined) {
      refusals.add('invariants', `column '${field.name}' has a delta.invariants constraint Riffle does not enforce yet`);
    }
    for (const key of ['delta.generationExpression', 'delta.identity.start']) {
      if (field.metadata[key] !== undefined) refusals.add(key.split('.')[1] === 'identity' ? 'identityColumns' : 'generatedColumns', `column '${field.name}' has ${key}`);
    }
  }
  for (const key of Object.keys(metadata.configuration)) {
    if (key.startsWith('delta.constraints.')) refusals.add('checkConstraints', `the table has constraint ${key}`);
  }
  refusals.throwAny();
}

/**
 * Whether writers must produce change data files (PROTOCOL.md "Writer Requirements for AddCDCFile"): the table says
 * `delta.enableChangeDataFeed=true` and its protocol has the feature (writer 4 to 6, or 7 listing `changeDataFeed`).
 *
 * @example
 * changeDataFeedEnabled({ minReaderVersion: 1, minWriterVersion: 4 }, metadata); // true when the property is 'true'
 */
export function changeDataFeedEnabled(protocol: ProtocolAction, metadata: MetadataAction): boolean {
  if (metadata.configuration['delta.enableChangeDataFeed'] !== 'true') return false;
  const v = protocol.minWriterVersion;
  return (v >= 4 && v <= 6) || (v === 7 && (protocol.writerFeatures ?? []).includes('changeDataFeed'));
}

/**
 * Column names the change data feed adds; a table with the feed on cannot have columns of these names.
 *
 * @example
 * CDF_COLUMNS.includes('_change_type'); // true
 */
export const CDF_COLUMNS: readonly string[] = ['_change_type', '_commit_version', '_commit_timestamp'];

/**
 * Throws if an `add` uses something the protocol check should already have refused (defence in depth: a deletion
 * vector silently ignored would return deleted rows).
 *
 * @example
 * assertAddReadable({ ...add, deletionVector: { storageType: 'u' } }); // throws, names deletionVectors
 */
export function assertAddReadable(add: AddAction): void {
  if (add.deletionVector !== undefined && add.deletionVector !== null) {
    throw new UnsupportedFeatureError('deletionVectors', 'read', `file '${add.path}' has a deletion vector`);
  }
}

/**
 * The `delta.*` table properties Riffle understands (see `TABLE_PROPERTIES` for their values); any other `delta.*`
 * key is refused.
 *
 * @example
 * SUPPORTED_PROPERTIES.has('delta.checkpointInterval'); // true
 */
export const SUPPORTED_PROPERTIES: ReadonlySet<string> = new Set(Object.keys(TABLE_PROPERTIES));
