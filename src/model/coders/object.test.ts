import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inspect, isDeepStrictEqual } from 'node:util';
import { coders, decodeFromBytes, encodeToBytes, type Coder } from '../index.ts';

/** Plain data values: what the object coder promises to carry unchanged (null-prototype objects come back plain). */
const data = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: false,
  withTypedArray: false,
  withSparseArray: false,
  withBoxedValues: false,
  withObjectString: false,
  maxDepth: 4,
});

function roundTrip(enc: Coder<unknown>, dec: Coder<unknown>, v: unknown): void {
  const back = decodeFromBytes(dec, encodeToBytes(enc, v));
  assert.ok(isDeepStrictEqual(back, v), `${inspect(back, { depth: 6 })} after ${inspect(v, { depth: 6 })}`);
}

test('object coder: any plain data round-trips, decoded by another instance (another worker) too', () => {
  const enc = coders.object();
  fc.assert(
    fc.property(data, (v) => {
      roundTrip(enc, enc, v);
      roundTrip(enc, coders.object(), v);
    }),
    { seed: 11, numRuns: 300 },
  );
});

test('object coder: shapes change and exceed the learned limit without losing data', () => {
  const c = coders.object();
  const values: unknown[] = [];
  for (let k = 0; k < 150; k++) values.push({ [`f${k}`]: k, common: 'x', ...(k % 3 === 0 ? { extra: [k, null, undefined] } : {}) });
  values.push({ __proto__x: 1 }, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown);
  for (const v of values) roundTrip(c, c, v);
  for (const v of values) roundTrip(c, coders.object(), v);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const back = decodeFromBytes(c, encodeToBytes(c, JSON.parse('{"__proto__": {"p": 1}}'))) as object;
  assert.equal(Object.getPrototypeOf(back), Object.prototype, 'a field named __proto__ stays a field');
  assert.deepEqual(Object.keys(back), ['__proto__']);
});

test('object coder: refuses what it cannot carry, with a clear message', () => {
  const c = coders.object();
  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(() => encodeToBytes(c, { p: new Point(1) }), /instance of Point without losing its class/);
  assert.throws(() => encodeToBytes(c, { f: () => 1 }), /cannot encode a function/);
  assert.throws(() => encodeToBytes(c, new Float64Array(2)), /instance of Float64Array/);
  // Buffers come back as Buffers, Uint8Arrays as Uint8Arrays.
  const back = decodeFromBytes(c, encodeToBytes(c, [Buffer.from('ab'), new Uint8Array([1])])) as unknown[];
  assert.ok(Buffer.isBuffer(back[0]) && back[0].toString() === 'ab');
  assert.ok(!Buffer.isBuffer(back[1]) && back[1] instanceof Uint8Array);
  // A corrupt signature naming a field twice is refused (it would silently drop a value).
  const bytes = encodeToBytes(c, { a: 1, b: 2 });
  bytes[bytes.indexOf(0x62)] = 0x61;
  assert.throws(() => decodeFromBytes(coders.object(), bytes), /names a field twice/);
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  assert.throws(() => encodeToBytes(c, cyclic), /deeper than 200 levels/);
});

test('object keys: canonical and declared object coders are deterministic; the learned one says why it is not', () => {
  assert.equal(coders.object().deterministic, false);
  assert.match(coders.object().nonDeterministicReason ?? '', /insertion order/);
  const canonical = coders.object({ canonical: true });
  assert.equal(canonical.deterministic, true);
  assert.deepEqual(encodeToBytes(canonical, { a: 1, b: { c: 'x', d: 2 } }), encodeToBytes(canonical, { b: { d: 2, c: 'x' }, a: 1 }));
  // Bytes depend on the value only, not on the shapes an instance has learned.
  const warmed = coders.object({ canonical: true });
  for (let k = 0; k < 100; k++) encodeToBytes(warmed, { [`k${k}`]: k });
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (v) => {
      assert.deepEqual(encodeToBytes(warmed, v), encodeToBytes(coders.object({ canonical: true }), v));
    }),
    { seed: 5, numRuns: 200 },
  );
  assert.throws(() => encodeToBytes(canonical, { m: new Map() }), /no canonical order/);
  const declared = coders.object({ fields: { id: 'int', name: 'string' } });
  assert.equal(declared.deterministic, true);
  assert.equal(coders.object({ fields: { id: 'int', any: coders.json() } }).deterministic, false);
});

test('declared object coder: exact fits write only values; misfits go through the generic form unchanged', () => {
  const c = coders.object({ fields: { auction: 'int', price: 'number', extra: 'string', ok: 'boolean?', tags: 'any' } });
  const fit = { auction: 7, price: 1.5, extra: 'x', ok: null, tags: ['a'] };
  roundTrip(c, c, fit);
  assert.ok(encodeToBytes(c, fit).length < encodeToBytes(coders.object(), fit).length);
  // 'any' is written canonically (so the coder stays deterministic): a Map there is refused, not reordered.
  assert.throws(() => encodeToBytes(c, { ...fit, tags: new Map() }), /no canonical order/);
  for (const misfit of [{ auction: 7 }, { ...fit, more: 1 }, { ...fit, auction: 1.5 }, { ...fit, extra: 3 }, [1, 2], 'text', null]) roundTrip(c, c, misfit);
  fc.assert(
    fc.property(fc.record({ auction: fc.integer(), price: fc.double(), extra: fc.string(), ok: fc.option(fc.boolean(), { nil: undefined }), tags: fc.jsonValue() }), (v) => roundTrip(c, c, { ...v })),
    { seed: 3, numRuns: 200 },
  );
});

test('strings: any well-formed text round-trips (ASCII fast path and UTF-8); a lone surrogate is refused, not replaced', () => {
  const obj = coders.object();
  const declared = coders.object({ fields: { s: 'string' } });
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), (u, a) => {
      for (const s of [u, a, a + u, u + a]) {
        roundTrip(obj, obj, s);
        roundTrip(declared, declared, { s });
        assert.equal(decodeFromBytes(coders.string(), encodeToBytes(coders.string(), s)), s);
      }
    }),
    { seed: 9, numRuns: 200 },
  );
  for (const bad of ['\uD800', 'a\uDC00b', 'x'.repeat(100) + '\uD83D']) {
    assert.throws(() => encodeToBytes(obj, bad), /lone surrogate/);
    assert.throws(() => encodeToBytes(coders.string(), bad), /lone surrogate/);
  }
});
