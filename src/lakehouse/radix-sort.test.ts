import assert from 'node:assert/strict';
import { test } from 'node:test';
import { radixOrder } from './radix-sort.ts';

test('radixOrder sorts float64s like a numeric sort (negatives, infinities, NaN last) and keeps ties in input order', () => {
  const values = Float64Array.of(3, -1.5, NaN, 2 ** 52, -Infinity, 0, 3, Infinity, -(2 ** 40), 0.25, -1.5);
  const order = [...radixOrder(values)];
  assert.deepEqual(order.map((i) => values[i]), [-Infinity, -(2 ** 40), -1.5, -1.5, 0, 0.25, 3, 3, 2 ** 52, Infinity, NaN]);
  assert.deepEqual([order[2], order[3], order[6], order[7]], [1, 10, 0, 6], 'equal values keep their input order');
  let seed = 1;
  const random = Float64Array.from({ length: 20_000 }, () => { seed = (seed * 16_807) % 2_147_483_647; return (seed % 2000) - 1000 + (seed % 7) / 8; });
  const sorted = [...radixOrder(random)].map((i) => random[i]);
  assert.deepEqual(sorted, [...random].sort((a, b) => a - b));
});
