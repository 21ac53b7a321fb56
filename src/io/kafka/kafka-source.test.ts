// KafkaSource without a broker: it declares parallel reads, and merges readers' positions per partition.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KafkaSource } from './kafka-source.ts';
import { resolveRead } from './kafka-options.ts';

it('reads in parallel and merges the readers\' positions per partition (the smaller offset if two disagree)', () => {
  const source = new KafkaSource(resolveRead(['a', 'b'], { brokers: ['localhost:9092'] }));
  assert.equal(source.parallel, true);
  const merged = source.mergePositions([
    { offsets: { a: { 0: 10, 2: 30 } } },
    { offsets: { a: { 1: 20 }, b: { 0: 5 } } },
    { offsets: {} },
    { offsets: { b: { 0: 7 } } },
  ]);
  assert.deepEqual(merged, { offsets: { a: { 0: 10, 1: 20, 2: 30 }, b: { 0: 5 } } });
  assert.deepEqual(source.mergePositions([]), { offsets: {} });
});
