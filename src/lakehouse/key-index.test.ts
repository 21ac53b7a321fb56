// MERGE's key index: the numeric table and the Map give the same rows for every key, duplicates included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyIndex } from './key-index.ts';

test('numeric keys (negative, past 2^32, -0, duplicates) find their source rows; absent keys none', () => {
  const keys = [0, -1, 2 ** 40 + 3, -(2 ** 45), 7, 7, 1.5, Number.MAX_SAFE_INTEGER, -0];
  const index = keyIndex(keys);
  assert.deepEqual(index.get(7), [4, 5]);
  assert.deepEqual(index.get(2 ** 40 + 3), [2]);
  assert.deepEqual(index.get(-(2 ** 45)), [3]);
  assert.deepEqual(index.get(0), [0, 8]); // -0 and 0 are one key (SameValueZero, as a Map)
  assert.deepEqual(index.get(Number.MAX_SAFE_INTEGER), [7]);
  assert.deepEqual(index.get(1.5), [6]);
  for (const absent of [1, 2 ** 40, 8, NaN, '7', undefined]) assert.deepEqual(index.get(absent), [], String(absent));
  // Many keys: every one found, in a table that had to grow past its first size.
  const many = Array.from({ length: 50_000 }, (_, i) => i * 7919 - 100_000);
  const big = keyIndex(many);
  many.forEach((k, i) => assert.deepEqual(big.get(k), [i]));
});

test('other keys (strings, a missing key, NaN) go through a Map: undefined never matches', () => {
  const index = keyIndex(['a', undefined, 'b', 'a', NaN]);
  assert.deepEqual(index.get('a'), [0, 3]);
  assert.deepEqual(index.get(undefined), []);
  assert.deepEqual(index.get(NaN), [4]);
});
