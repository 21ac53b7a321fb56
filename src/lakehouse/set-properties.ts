/**
 * Setting table properties on an existing table, as Delta's `ALTER TABLE … SET TBLPROPERTIES`: one commit with a
 * `metaData` action whose configuration is the old one with the new keys set (operation `SET TBLPROPERTIES`).
 *
 * Strategy: 1. validate every property (`checkTableProperties`) before anything is written; 2. merge them into the
 * current configuration — nothing to commit when every value is already set; 3. turning the change data feed on
 * needs a writer protocol with the feature: writer 4 for legacy protocols (readers are unaffected), or
 * `changeDataFeed` added to the writer features of a writer-7 table; the table's columns must not use the names the
 * feed adds; 4. commit the metaData (and protocol) — a metadata change, so it conflicts with any concurrent commit
 * that changed metadata or protocol. The change data feed then covers the commits after this one; reading changes
 * of earlier versions fails with an error naming the version that turned it on.
 */
import type { ProtocolAction } from './actions.ts';
import { DeltaTableError } from './errors.ts';
import type { Snapshot } from './snapshot.ts';
import { CDF_COLUMNS, changeDataFeedEnabled } from './table-features.ts';
import { checkTableProperties } from './table-properties.ts';
import type { Transaction } from './transaction.ts';

/**
 * The outcome of setting properties: the version committed, or `committed: false` when every value was already set.
 *
 * @example
 * const r = await table.setProperties({ 'delta.enableChangeDataFeed': 'true' }); if (r.committed) console.log(r.version);
 */
export interface SetPropertiesResult {
  readonly version: number;
  readonly committed: boolean;
  /** The keys whose value changed. */
  readonly changed: readonly string[];
}

/** The protocol that lets writers produce change data files, or undefined when the current one already does. */
function protocolWithChangeDataFeed(protocol: ProtocolAction): ProtocolAction | undefined {
  const v = protocol.minWriterVersion;
  if (v >= 4 && v <= 6) return undefined;
  if (v === 7) {
    const features = protocol.writerFeatures ?? [];
    return features.includes('changeDataFeed') ? undefined : { ...protocol, writerFeatures: [...features, 'changeDataFeed'] };
  }
  return { ...protocol, minWriterVersion: 4 };
}

/**
 * Validates and commits table properties in the transaction (started on the latest snapshot).
 *
 * @example
 * await setTableProperties(await table.startTransaction(), { 'delta.enableChangeDataFeed': 'true' });
 */
export async function setTableProperties(tx: Transaction, properties: Readonly<Record<string, string>>): Promise<SetPropertiesResult> {
  if (properties === null || typeof properties !== 'object' || Object.keys(properties).length === 0) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'setProperties: give at least one property', { hint: "e.g. { 'delta.enableChangeDataFeed': 'true' }" });
  }
  checkTableProperties(properties);
  const snapshot = tx.snapshot as Snapshot;
  const before = snapshot.metadata.configuration;
  const changed = Object.keys(properties).filter((k) => before[k] !== properties[k]);
  if (changed.length === 0) return { version: snapshot.version, committed: false, changed };
  const metadata = { ...snapshot.metadata, configuration: { ...before, ...properties } };
  let protocol: ProtocolAction | undefined;
  if (metadata.configuration['delta.enableChangeDataFeed'] === 'true' && !changeDataFeedEnabled(snapshot.protocol, metadata)) {
    const clash = snapshot.schema.fields.find((f) => CDF_COLUMNS.includes(f.name));
    if (clash) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `cannot enable the change data feed: column '${clash.name}' is a name the feed reserves`, { hint: 'rename the column first' });
    }
    protocol = protocolWithChangeDataFeed(snapshot.protocol);
  }
  tx.setMetadata(metadata, protocol);
  const { version } = await tx.commit({
    operation: 'SET TBLPROPERTIES',
    operationParameters: { properties: JSON.stringify(properties) },
  });
  return { version, committed: true, changed };
}
