import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MinHeap } from './min-heap.ts';

test('MinHeap pops by time, then insertion order, under any interleaving of pushes and pops', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
      const heap = new MinHeap<{ time: number; seq: number }>();
      const model: { time: number; seq: number }[] = [];
      let seq = 0;
      const popBoth = () => {
        model.sort((a, b) => a.time - b.time || a.seq - b.seq);
        assert.deepEqual(heap.pop(), model.shift());
      };
      for (const op of ops) {
        if (op < 0) popBoth();
        else {
          const item = { time: op, seq: seq++ };
          heap.push(item);
          model.push(item);
        }
        assert.equal(heap.size, model.length);
      }
      while (model.length > 0) popBoth();
      assert.equal(heap.pop(), undefined);
    }),
  );
});
