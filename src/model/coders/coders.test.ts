import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inspect } from 'node:util';
import {
  ByteWriter,
  CoderInputError,
  coders,
  decodeFromBytes,
  encodeToBytes,
  END_OF_GLOBAL_WINDOW,
  formatDecimal,
  GlobalWindow,
  IntervalWindow,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  coderFromBeamSpec,
  type Coder,
  type CoderContext,
  type PaneInfo,
  type Schema,
} from '../index.ts';

const SEED = { seed: 20261207, numRuns: 100 };
/** The malformed-input fuzz runs this many inputs (a tier may raise it: RIFFLE_CODER_FUZZ_RUNS). */
const FUZZ_RUNS = Number(process.env['RIFFLE_CODER_FUZZ_RUNS'] ?? 1000);

/** Structural equality that tells -0 from 0, sees NaN equal to itself, and compares windows by bounds. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (a instanceof IntervalWindow && b instanceof IntervalWindow) return a.start === b.start && a.end === b.end;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, k) => x === b[k]);
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof Map && b instanceof Map) return same([...a], [...b]);
  if (a instanceof Set && b instanceof Set) return same([...a], [...b]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, k) => same(x, b[k]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Round-trips in both contexts, and checks that every proper prefix of a nested encoding is refused as truncated. */
function roundTrips<T>(coder: Coder<T>, arb: fc.Arbitrary<T>, normalize: (v: T) => unknown = (v) => v): void {
  fc.assert(
    fc.property(arb, (v) => {
      for (const context of ['nested', 'outer'] as CoderContext[]) {
        const bytes = encodeToBytes(coder, v, context);
        const back = decodeFromBytes(coder, bytes, context);
        assert.ok(same(back, normalize(v)), `${coder.name} ${context}: ${inspect(back)} after ${inspect(v)}`);
      }
      // Every proper prefix (at most 24 of them, spread over the encoding) is refused as truncated.
      const nested = encodeToBytes(coder, v);
      const step = Math.max(1, Math.ceil(nested.length / 24));
      for (let n = 0; n < nested.length; n += step) assert.throws(() => decodeFromBytes(coder, nested.subarray(0, n)), RangeError);
      if (nested.length > 0) assert.throws(() => decodeFromBytes(coder, nested.subarray(0, nested.length - 1)), RangeError);
    }),
    SEED,
  );
}

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const asIntOrBig = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
const instant = fc.oneof(fc.integer({ min: -8.64e15 + 1, max: 8.64e15 - 86_400_001 }), fc.constantFrom(MIN_TIMESTAMP, MAX_TIMESTAMP, END_OF_GLOBAL_WINDOW, 0, -1));
const intervalWindow = fc
  .tuple(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: 1, max: 1e12 }))
  .map(([start, size]) => new IntervalWindow(start, start + size));
const pane: fc.Arbitrary<PaneInfo> = fc.oneof(
  fc.constant<PaneInfo>({ isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 }),
  fc.record({ isFirst: fc.boolean(), isLast: fc.boolean(), index: fc.nat(1e6) }).map((p) => ({ ...p, timing: 'EARLY' as const, nonSpeculativeIndex: -1 })),
  fc
    .record({ isFirst: fc.boolean(), isLast: fc.boolean(), timing: fc.constantFrom('ON_TIME' as const, 'LATE' as const), index: fc.nat(1e6), ns: fc.nat(1e6) })
    .map(({ ns, ...p }) => ({ ...p, nonSpeculativeIndex: Math.min(ns, p.index) })),
);

test('scalar coders round-trip in both contexts and refuse truncated input', () => {
  roundTrips(coders.string(), fc.string({ unit: 'grapheme' }));
  roundTrips(coders.bytes(), fc.uint8Array());
  roundTrips(coders.bool(), fc.boolean());
  roundTrips(coders.varInt(), fc.maxSafeInteger());
  roundTrips(coders.varInt64(), int64.map(asIntOrBig));
  roundTrips(coders.int64(), int64);
  roundTrips(coders.bigint(), fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }));
  roundTrips(coders.decimal(), fc.tuple(fc.bigInt({ min: -(1n << 90n), max: 1n << 90n }), fc.integer({ min: -5, max: 30 })).map(([u, s]) => formatDecimal(u, s)));
  roundTrips(coders.double(), fc.double());
  roundTrips(coders.float(), fc.float());
  roundTrips(coders.null(), fc.constant(null));
  roundTrips(coders.undefined(), fc.constant(undefined));
  roundTrips(coders.nullable(coders.string()), fc.option(fc.string(), { nil: null }));
  roundTrips(coders.json(), fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown));
});

test('composite coders round-trip in both contexts and refuse truncated input', () => {
  roundTrips(coders.list(coders.nullable(coders.string())), fc.array(fc.option(fc.string(), { nil: null })));
  roundTrips(coders.iterable(coders.varInt()), fc.array(fc.integer()));
  roundTrips(coders.map(coders.string(), coders.double()), fc.dictionary(fc.string(), fc.double()).map((o) => new Map(Object.entries(o))));
  roundTrips(coders.kv(coders.string(), coders.bytes()), fc.record({ key: fc.string(), value: fc.uint8Array() }));
  roundTrips(coders.lengthPrefix(coders.string()), fc.string());
  roundTrips(coders.shardedKey(coders.string()), fc.record({ shardId: fc.uint8Array(), key: fc.string() }));
});

test('event-time coders round-trip: instants (with the bounds), windows, panes, windowed values, timers', () => {
  roundTrips(coders.instant(), instant);
  roundTrips(coders.intervalWindow(), intervalWindow);
  roundTrips(coders.customWindow(coders.intervalWindow()), intervalWindow);
  roundTrips(coders.globalWindow(), fc.constant(GlobalWindow.INSTANCE));
  roundTrips(coders.paneInfo(), pane);
  roundTrips(
    coders.windowedValue(coders.string(), coders.intervalWindow()),
    fc.record({ value: fc.string(), timestamp: instant, windows: fc.array(intervalWindow, { maxLength: 3 }), pane }),
  );
  roundTrips(
    coders.timer(coders.string(), coders.globalWindow()),
    fc.oneof(
      fc.record({ userKey: fc.string(), dynamicTimerTag: fc.string(), windows: fc.constant([GlobalWindow.INSTANCE]), clearBit: fc.constant(true) }),
      fc.record({ userKey: fc.string(), dynamicTimerTag: fc.string(), windows: fc.constant([GlobalWindow.INSTANCE]), clearBit: fc.constant(false), fireTimestamp: instant, holdTimestamp: instant, pane }),
    ),
  );
});

test('instants: byte order is time order; Riffle bounds map to Beam bounds; fractions are refused', () => {
  fc.assert(
    fc.property(instant, instant, (a, b) => {
      const x = encodeToBytes(coders.instant(), a);
      const y = encodeToBytes(coders.instant(), b);
      const cmp = Buffer.compare(Buffer.from(x), Buffer.from(y));
      assert.equal(Math.sign(cmp), Math.sign(a - b));
    }),
    SEED,
  );
  assert.deepEqual([...encodeToBytes(coders.instant(), MIN_TIMESTAMP)], [0x7f, 0xdf, 0x3b, 0x64, 0x5a, 0x1c, 0xac, 0x09]);
  assert.throws(() => encodeToBytes(coders.instant(), 1.5), /not a whole number/);
});

const schema: Schema = {
  fields: [
    { name: 'id', type: { kind: 'atomic', type: 'int64' } },
    { name: 'name', type: { kind: 'atomic', type: 'string', nullable: true } },
    { name: 'small', type: { kind: 'atomic', type: 'int32' } },
    { name: 'tiny', type: { kind: 'atomic', type: 'byte' } },
    { name: 'short', type: { kind: 'atomic', type: 'int16' } },
    { name: 'score', type: { kind: 'atomic', type: 'double' } },
    { name: 'ok', type: { kind: 'atomic', type: 'boolean' } },
    { name: 'tags', type: { kind: 'array', element: { kind: 'atomic', type: 'string' } } },
    { name: 'attrs', type: { kind: 'map', key: { kind: 'atomic', type: 'string' }, value: { kind: 'atomic', type: 'int64', nullable: true } } },
    { name: 'at', type: { kind: 'logical', urn: 'beam:logical_type:millis_instant:v1', representation: { kind: 'atomic', type: 'int64' } } },
    { name: 'price', type: { kind: 'logical', urn: 'beam:logical_type:decimal:v1', representation: { kind: 'atomic', type: 'bytes' }, nullable: true } },
    { name: 'inner', type: { kind: 'row', nullable: true, schema: { fields: [{ name: 'x', type: { kind: 'atomic', type: 'bytes' } }] } } },
  ],
};

test('rows of a schema round-trip: nullable fields, arrays, maps, logical types, nested rows', () => {
  const row = fc.record({
    id: int64.map(asIntOrBig),
    name: fc.option(fc.string(), { nil: null }),
    small: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    tiny: fc.integer({ min: -128, max: 127 }),
    short: fc.integer({ min: -32768, max: 32767 }),
    score: fc.double(),
    ok: fc.boolean(),
    tags: fc.array(fc.string()),
    attrs: fc.dictionary(fc.string(), fc.option(fc.integer(), { nil: null })).map((o) => new Map(Object.entries(o))),
    at: instant,
    price: fc.option(fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 8 })).map(([u, s]) => formatDecimal(u, s)), { nil: null }),
    inner: fc.option(fc.record({ x: fc.uint8Array() }), { nil: null }),
  });
  roundTrips(coders.row(schema), row as fc.Arbitrary<Record<string, unknown>>);
  assert.equal(coders.row(schema).deterministic, false, 'a double field makes the row coder non-deterministic');
  assert.throws(() => encodeToBytes(coders.row(schema), { id: 1 }), /field 'small' is not nullable/);
});

test('determinism is declared and composes', () => {
  assert.equal(coders.kv(coders.string(), coders.double()).deterministic, false);
  assert.equal(coders.kv(coders.string(), coders.list(coders.varInt())).deterministic, true);
  assert.equal(coders.map(coders.string(), coders.string()).deterministic, false);
  assert.equal(coders.sortedMap(coders.string(), coders.string()).deterministic, true);
  assert.match(coders.windowedValue(coders.json(), coders.globalWindow()).nonDeterministicReason ?? '', /json/);
  // Equal maps built in different orders encode alike under sortedMap.
  const a = new Map([['x', ' 1'], ['y', '2']]);
  const b = new Map([['y', '2'], ['x', ' 1']]);
  assert.deepEqual(encodeToBytes(coders.sortedMap(coders.string(), coders.string()), a), encodeToBytes(coders.sortedMap(coders.string(), coders.string()), b));
});

test('iterables read Beam\'s chunked form (-1 count, blocks, 0) and refuse bad counts without allocating them', () => {
  const w = new ByteWriter();
  w.int32(-1);
  w.varInt64(2);
  w.varInt64(7);
  w.varInt64(-3);
  w.varInt64(1);
  w.varInt64(9);
  w.varInt64(0);
  assert.deepEqual(decodeFromBytes(coders.iterable(coders.varInt()), w.toBytes()), [7, -3, 9]);
  const huge = new ByteWriter();
  huge.int32(0x7fffffff);
  huge.byte(1);
  assert.throws(() => decodeFromBytes(coders.list(coders.varInt()), huge.toBytes()), CoderInputError);
  // Items of zero bytes (global windows) may outnumber the bytes, but not without bound (fuzz found a 2^31 count).
  const windows = new ByteWriter();
  windows.string('k');
  windows.string('tag');
  windows.int32(0x7fffffff);
  assert.throws(() => decodeFromBytes(coders.timer(coders.string(), coders.globalWindow()), windows.toBytes()), CoderInputError);
  assert.throws(() => decodeFromBytes(coders.list(coders.null()), windows.toBytes().subarray(6)), CoderInputError);
  const negative = new ByteWriter();
  negative.int32(-2);
  assert.throws(() => decodeFromBytes(coders.list(coders.varInt()), negative.toBytes()), /negative/);
});

test('malformed input: errors are RangeErrors naming the problem, never hangs or other exceptions', () => {
  const all: Coder<unknown>[] = [
    coders.string(),
    coders.varInt64(),
    coders.bigint(),
    coders.decimal(),
    coders.list(coders.string()),
    coders.map(coders.string(), coders.varInt()),
    coders.paneInfo(),
    coders.intervalWindow(),
    coders.windowedValue(coders.string(), coders.intervalWindow()),
    coders.timer(coders.string(), coders.globalWindow()),
    coders.row(schema),
    coders.object(),
    coders.object({ fields: { a: 'int', b: 'string?' } }),
    coders.lengthPrefix(coders.list(coders.bool())),
  ] as Coder<unknown>[];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      for (const c of all) {
        try {
          decodeFromBytes(c, bytes);
        } catch (e) {
          assert.ok(e instanceof RangeError, `${c.name}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }),
    { seed: Number(process.env['RIFFLE_CODER_FUZZ_SEED'] ?? 7), numRuns: FUZZ_RUNS },
  );
  assert.throws(() => decodeFromBytes(coders.string(), new Uint8Array([2, 0xc3, 0x28])), /not valid UTF-8/);
  assert.throws(() => decodeFromBytes(coders.varInt(), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), /longer than 10 bytes/);
  assert.throws(() => decodeFromBytes(coders.bool(), new Uint8Array([2])), /neither 0 nor 1/);
});

test('Beam varint: the int64 range, numbers within ±2^53 and bigints beyond', () => {
  const c = coders.varInt64();
  assert.deepEqual([...encodeToBytes(c, -1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.equal(decodeFromBytes(c, encodeToBytes(c, 2n ** 63n - 1n)), 2n ** 63n - 1n);
  assert.equal(decodeFromBytes(c, encodeToBytes(c, -(2n ** 63n))), -(2n ** 63n));
  assert.equal(decodeFromBytes(c, encodeToBytes(c, 2n ** 40n)), 2 ** 40);
  assert.throws(() => encodeToBytes(c, 2n ** 63n), /outside the signed 64-bit range/);
  assert.throws(() => decodeFromBytes(coders.varInt(), encodeToBytes(c, 2n ** 60n)), /beyond ±2\^53/);
});

test('Beam URNs: length_prefix over an outer-context coder, and an unknown URN named with the known ones', () => {
  const lp = coderFromBeamSpec({ urn: 'beam:coder:length_prefix:v1', components: [{ urn: 'beam:coder:string_utf8:v1' }] });
  assert.deepEqual([...encodeToBytes(lp, 'abc')], [3, 0x61, 0x62, 0x63]);
  assert.deepEqual([...encodeToBytes(lp, 'abc', 'outer')], [3, 0x61, 0x62, 0x63]);
  const kvOuter = coderFromBeamSpec({ urn: 'beam:coder:kv:v1', components: [{ urn: 'beam:coder:string_utf8:v1' }, { urn: 'beam:coder:length_prefix:v1', components: [{ urn: 'beam:coder:bytes:v1' }] }] });
  assert.deepEqual(decodeFromBytes(kvOuter, new Uint8Array([1, 0x6b, 2, 9, 8]), 'outer'), { key: 'k', value: new Uint8Array([9, 8]) });
  assert.throws(() => coderFromBeamSpec({ urn: 'beam:coder:nope:v1' }), /no coder for Beam URN 'beam:coder:nope:v1' \(known: beam:coder:bytes:v1/);
  assert.throws(() => coderFromBeamSpec({ urn: 'beam:coder:kv:v1', components: [{ urn: 'beam:coder:bytes:v1' }] }), /takes 2 component/);
});
