import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { coders, decodeFromBytes, encodeToBytes, type Coder } from './index.ts';

function roundTrips<T>(coder: Coder<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(fc.property(arb, (v) => assert.deepEqual(decodeFromBytes(coder, encodeToBytes(coder, v)), v)));
}

test('coders round-trip', () => {
  roundTrips(coders.string(), fc.string());
  roundTrips(coders.varInt(), fc.maxSafeInteger());
  roundTrips(coders.double(), fc.double({ noNaN: true }));
  roundTrips(coders.bool(), fc.boolean());
  roundTrips(coders.json(), fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown));
  roundTrips(coders.list(coders.nullable(coders.string())), fc.array(fc.option(fc.string(), { nil: null })));
  roundTrips(coders.kv(coders.string(), coders.varInt()), fc.record({ key: fc.string(), value: fc.integer() }).map((r) => ({ key: r.key, value: r.value })));
});

test('determinism is declared and composes', () => {
  assert.equal(coders.kv(coders.string(), coders.double()).deterministic, false);
  assert.equal(coders.kv(coders.string(), coders.list(coders.varInt())).deterministic, true);
  assert.equal(coders.json().deterministic, false);
});

test('truncated input is an error, not garbage', () => {
  const bytes = encodeToBytes(coders.string(), 'hello');
  assert.throws(() => decodeFromBytes(coders.string(), bytes.slice(0, 3)), /unexpected end/);
  assert.throws(() => decodeFromBytes(coders.bool(), new Uint8Array([1, 2])), /trailing bytes/);
});
