import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coders, encodeToBytes } from '../../model/index.ts';
import { keyGroupOf, workerOfKeyGroup } from '../local/key-group.ts';
import { checkWorkers, keyGroupRangeOf } from './key-group-range.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

test('key groups of encoded keys are pinned (a change would move every key of every saved state)', () => {
  // Raw key bytes: the hash alone.
  assert.equal(keyGroupOf(hex('05616c696365'), 128), 105);
  assert.equal(keyGroupOf(hex('03626f62'), 128), 76);
  assert.equal(keyGroupOf(hex('00'), 128), 55);
  assert.equal(keyGroupOf(hex('075ac3bc72696368'), 128), 126);
  assert.equal(keyGroupOf(hex('0001'), 32768), 8896);
  // The string coder writes a length and UTF-8 (Beam's StringUtf8Coder, nested): the same bytes as above.
  assert.deepEqual(encodeToBytes(coders.string(), 'alice'), hex('05616c696365'));
  assert.equal(keyGroupOf(encodeToBytes(coders.string(), 'Zürich'), 128), 126);
});

test('the ranges of N workers partition the key groups and invert workerOfKeyGroup', () => {
  for (const maxP of [1, 7, 128, 1000]) {
    for (let n = 1; n <= Math.min(maxP, 9); n++) {
      let next = 0;
      for (let w = 0; w < n; w++) {
        const r = keyGroupRangeOf(w, n, maxP);
        assert.equal(r.start, next, `maxP ${maxP}, ${n} workers, worker ${w} starts where ${w - 1} ended`);
        for (const g of r) assert.equal(workerOfKeyGroup(g, n, maxP), w);
        next = r.end + 1;
      }
      assert.equal(next, maxP);
    }
  }
  assert.equal(String(keyGroupRangeOf(1, 4)), '[32, 63]');
  assert.equal(String(keyGroupRangeOf(2, 3)), '[86, 127]');
});

test('rescaling moves whole key groups: a key keeps its group for any number of workers', () => {
  const key = encodeToBytes(coders.string(), 'alice');
  const g = keyGroupOf(key, 128);
  for (let n = 1; n <= 8; n++) assert.ok(keyGroupRangeOf(workerOfKeyGroup(g, n, 128), n, 128).contains(g));
});

test('worker counts are checked against maxParallelism before work starts', () => {
  assert.deepEqual(checkWorkers(4), { workers: 4, maxParallelism: 128 });
  assert.throws(() => checkWorkers(0), /at least 1/);
  assert.throws(() => checkWorkers(1.5), /whole number/);
  assert.throws(() => checkWorkers(9, 8), /9 workers exceed maxParallelism 8/);
  assert.throws(() => checkWorkers(2, 0), /maxParallelism must be a whole number/);
});
