import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedBatches, IS_CONTROL, IS_TRANSACTIONAL, type BatchHeader } from './aborted-filter.ts';

const marker = (type: 0 | 1) => [{ key: new Uint8Array([0, 0, 0, type]) }];
const data = [{ key: null }];
function batch(firstOffset: number, producerId: number, kind: 'plain' | 'tx' | 'commit' | 'abort', count = 1): BatchHeader & { name: string } {
  const attributes = kind === 'plain' ? 0 : kind === 'tx' ? IS_TRANSACTIONAL : IS_TRANSACTIONAL | IS_CONTROL;
  return { name: `${kind}@${firstOffset}`, firstOffset: BigInt(firstOffset), lastOffsetDelta: count - 1, attributes, producerId: BigInt(producerId), records: kind === 'commit' ? marker(1) : kind === 'abort' ? marker(0) : data };
}

describe('committedBatches (read_committed on the client side)', () => {
  it('drops the batches of aborted transactions and every control marker, keeps committed and plain ones', () => {
    const batches = [
      batch(0, 7, 'tx', 2), // producer 7, aborted below
      batch(2, 8, 'tx'), // producer 8, committed
      batch(3, -1, 'plain'),
      batch(4, 7, 'tx'),
      batch(5, 7, 'abort'),
      batch(6, 8, 'commit'),
      batch(7, 7, 'tx'), // producer 7's next transaction, committed
      batch(8, 7, 'commit'),
    ];
    const kept = committedBatches(batches, [{ producerId: 7n, firstOffset: 0n }]).map((b) => b.name);
    assert.deepEqual(kept, ['tx@2', 'plain@3', 'tx@7']);
  });

  it('starts an aborted transaction only at its first offset (earlier batches of the same producer are committed ones)', () => {
    const batches = [batch(0, 3, 'tx'), batch(1, 3, 'commit'), batch(2, 3, 'tx'), batch(3, 3, 'abort')];
    assert.deepEqual(committedBatches(batches, [{ producerId: 3n, firstOffset: 2n }]).map((b) => b.name), ['tx@0']);
  });

  it('without aborted transactions keeps all data batches (in order) and drops markers', () => {
    const batches = [batch(0, 1, 'tx'), batch(1, 1, 'commit'), batch(2, -1, 'plain', 5)];
    assert.deepEqual(committedBatches(batches, []).map((b) => b.name), ['tx@0', 'plain@2']);
    assert.deepEqual(committedBatches(batches, null).map((b) => b.name), ['tx@0', 'plain@2']);
  });
});
