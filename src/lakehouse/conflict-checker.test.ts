import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Action } from './actions.ts';
import { checkConflicts, type TransactionFootprint } from './conflict-checker.ts';
import { ConcurrentModificationError } from './errors.ts';

const add = (path: string): Action => ({ add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } });
const remove = (path: string): Action => ({ remove: { path, deletionTimestamp: 0, dataChange: true } });
const footprint = (over: Partial<TransactionFootprint> = {}): TransactionFootprint =>
  ({ readWholeTable: false, removedPaths: new Set(), appIds: new Set(), changesMetadata: false, ...over });
const conflictOf = (ours: TransactionFootprint, winning: Action[]): string | undefined => {
  try { checkConflicts(ours, winning, 7); return undefined; } catch (e) {
    assert.ok(e instanceof ConcurrentModificationError);
    assert.equal(e.winningVersion, 7);
    return e.conflict;
  }
};

test('blind appends never conflict with appends or removes', () => {
  assert.equal(conflictOf(footprint(), [add('a'), remove('b')]), undefined);
});

test('a transaction that read the table conflicts with concurrent data changes', () => {
  assert.equal(conflictOf(footprint({ readWholeTable: true }), [add('a')]), 'concurrentAppend');
  assert.equal(conflictOf(footprint({ readWholeTable: true }), [remove('a')]), 'concurrentDeleteRead');
  assert.equal(conflictOf(footprint({ readWholeTable: true }), [{ commitInfo: {} }]), undefined);
});

test('metadata, protocol, same appId and delete/delete conflict', () => {
  assert.equal(conflictOf(footprint(), [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }]), 'protocolChanged');
  assert.equal(conflictOf(footprint(), [{ metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: '', partitionColumns: [], configuration: {} } }]), 'metadataChanged');
  assert.equal(conflictOf(footprint({ appIds: new Set(['sink']) }), [{ txn: { appId: 'sink', version: 3 } }]), 'concurrentTransaction');
  assert.equal(conflictOf(footprint({ appIds: new Set(['sink']) }), [{ txn: { appId: 'other', version: 3 } }]), undefined);
  assert.equal(conflictOf(footprint({ removedPaths: new Set(['a']) }), [remove('a')]), 'concurrentDeleteDelete');
});
