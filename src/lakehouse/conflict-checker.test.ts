import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Action } from './actions.ts';
import { checkConflicts, type TransactionFootprint } from './conflict-checker.ts';
import { ConcurrentModificationError } from './errors.ts';

const add = (path: string): Action => ({ add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } });
const remove = (path: string): Action => ({ remove: { path, deletionTimestamp: 0, dataChange: true } });
const footprint = (over: Partial<TransactionFootprint> = {}): TransactionFootprint =>
  ({ readWholeTable: false, readPaths: new Set(), readPredicates: [], removedPaths: new Set(), appIds: new Set(), changesMetadata: false, ...over });
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

test('a transaction conflicts with removal of a file it read, whatever the dataChange (compaction included)', () => {
  assert.equal(conflictOf(footprint({ readPaths: new Set(['a']) }), [remove('a')]), 'concurrentDeleteRead');
  assert.equal(conflictOf(footprint({ readPaths: new Set(['a']) }), [{ remove: { path: 'a', deletionTimestamp: 0, dataChange: false } }]), 'concurrentDeleteRead');
  assert.equal(conflictOf(footprint({ readPaths: new Set(['a']) }), [remove('b'), add('c')]), undefined);
});

test('a transaction with a read predicate conflicts only with added data files that may match it', () => {
  const frOnly = (a: Extract<Action, { add: unknown }>['add']): boolean => a.partitionValues.country === 'fr';
  const addIn = (country: string, dataChange = true): Action => ({ add: { path: `country=${country}/x`, partitionValues: { country }, size: 1, modificationTime: 0, dataChange } });
  assert.equal(conflictOf(footprint({ readPredicates: [frOnly] }), [addIn('de')]), undefined);
  assert.equal(conflictOf(footprint({ readPredicates: [frOnly] }), [addIn('fr')]), 'concurrentAppend');
  assert.equal(conflictOf(footprint({ readPredicates: [frOnly] }), [addIn('fr', false)]), undefined, 'compaction adds no data');
});
