import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMaxParallelism, defaultKeyGroupAssigner, keyGroupOf, murmur3, workerOfKeyGroup } from './key-group.ts';

test('murmur3 matches the reference x86_32 vectors', () => {
  const enc = new TextEncoder();
  assert.equal(murmur3(new Uint8Array(0)), 0);
  assert.equal(murmur3(new Uint8Array(0), 1), 0x514e28b7);
  assert.equal(murmur3(enc.encode('hello')), 0x248bfa47);
  assert.equal(murmur3(enc.encode('Hello, world!'), 1234), 0xfaf6cdb3);
  assert.equal(murmur3(enc.encode('The quick brown fox jumps over the lazy dog')), 0x2e4ff723);
});

test('key groups are in range, deterministic, and spread keys', () => {
  const assign = defaultKeyGroupAssigner(128);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const g = assign(i, i);
    assert.ok(g >= 0 && g < 128);
    assert.equal(g, assign(i, i));
    seen.add(g);
  }
  assert.equal(seen.size, 128);
  assert.notEqual(assign('1', '1'), assign(1, 1), 'the string 1 and the number 1 are different keys');
  assert.equal(keyGroupOf(new Uint8Array([1, 2, 3]), 1), 0);
});

test('workers own contiguous ranges of key groups', () => {
  const owners = Array.from({ length: 128 }, (_, g) => workerOfKeyGroup(g, 3));
  assert.deepEqual([owners[0], owners[42], owners[43], owners[127]], [0, 0, 1, 2]);
  for (let g = 1; g < 128; g++) assert.ok(owners[g]! >= owners[g - 1]!);
});

test('maxParallelism is checked', () => {
  assert.equal(checkMaxParallelism(undefined), 128);
  assert.throws(() => checkMaxParallelism(0), /maxParallelism must be a whole number/);
  assert.throws(() => checkMaxParallelism(1.5), /1 to 32768/);
});

test('each key of a keyed operator knows its key group', async () => {
  const { KeyedStore } = await import('./keyed-store.ts');
  const { realClock } = await import('./clock.ts');
  const store = new KeyedStore(realClock, { input: () => 0, output: () => 0 }, false, { assignKeyGroup: defaultKeyGroupAssigner(16) });
  for (const key of ['a', 'b', 7, 8.5]) assert.equal(store.get(key, key).keyGroup, defaultKeyGroupAssigner(16)(key, key));
});

test('with a declared KV coder, a key\'s group is the hash of its key coder\'s bytes (what an exchange routes by)', async () => {
  const { coders, encodeToBytes } = await import('../../model/index.ts');
  const { keyGroupAssignerFor } = await import('./key-group.ts');
  const assign = keyGroupAssignerFor(coders.kv(coders.string(), coders.varInt()));
  for (const key of ['alice', 'bob', '']) assert.equal(assign(key, key), keyGroupOf(encodeToBytes(coders.string(), key)));
  // A non-deterministic key coder (doubles) falls back to the in-memory encoding.
  assert.equal(keyGroupAssignerFor(coders.kv(coders.double(), coders.varInt()))(1.5, 1.5), defaultKeyGroupAssigner()(1.5, 1.5));
});
