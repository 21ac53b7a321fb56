import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { ByteWriter, decodeFromBytes, encodeToBytes, GlobalWindow, IntervalWindow } from '../../model/index.ts';
import { StateNotEncodableError, structuredStateCoder } from './state-tags.ts';

describe('structuredStateCoder', () => {
  const c = structuredStateCoder<unknown>();
  const roundTrip = (v: unknown) => decodeFromBytes(c, encodeToBytes(c, v));

  it('writes plain data with the object coder (first byte 0) and reads values earlier versions wrote with V8\'s serializer', () => {
    const v = { n: 1, s: 'x', d: new Date(5), m: new Map([[1, [2, -0, NaN]]]), big: 10n, u: undefined, w: new IntervalWindow(0, 10) };
    const bytes = encodeToBytes(c, v);
    assert.equal(bytes[0], 0);
    assert.deepEqual(decodeFromBytes(c, bytes), v);
    assert.ok(Object.is((decodeFromBytes(c, bytes) as { m: Map<number, number[]> }).m.get(1)![1], -0));
    // An earlier version's bytes: V8's serialization, length-prefixed (windows wrapped as that version did).
    for (const old of [{ a: 1, list: ['x', 2] }, 'text', 7, new Map([['k', new Set([1])]])]) {
      const w = new ByteWriter();
      w.bytes(serialize(old));
      assert.deepEqual(decodeFromBytes(c, w.toBytes()), old);
    }
    const w = new ByteWriter();
    w.bytes(serialize({ '\u0000riffle.windows': [{ '\u0000riffle.window': [0, 10] }, { '\u0000riffle.window': 'global' }] }));
    assert.deepEqual(decodeFromBytes(c, w.toBytes()), [new IntervalWindow(0, 10), GlobalWindow.INSTANCE]);
  });

  it('keeps what only V8\'s serializer writes exactly: typed arrays, holes', () => {
    const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays
    for (const v of [new Float64Array([1.5, -0]), { list: holes }, [new Int32Array([7])]]) {
      const bytes = encodeToBytes(c, v);
      assert.notEqual(bytes[0], 0);
      assert.deepEqual(decodeFromBytes(c, bytes), v);
    }
    const back = decodeFromBytes(c, encodeToBytes(c, { list: holes })) as { list: unknown[] };
    assert.equal(1 in back.list, false);
  });

  it('round-trips global and interval windows inside state (a merging reducer\'s active-window set) as windows', () => {
    const active = new Map([
      ['0:10', { window: new IntervalWindow(0, 10), address: '0:10' }],
      ['5:30', { window: new IntervalWindow(5, 30), address: '0:10' }],
    ]);
    const back = roundTrip({ active, list: [GlobalWindow.INSTANCE, 1, 'x'], set: new Set([new IntervalWindow(1, 2)]) }) as {
      active: Map<string, { window: IntervalWindow; address: string }>;
      list: unknown[];
      set: Set<IntervalWindow>;
    };
    const w = back.active.get('5:30')!.window;
    assert.ok(w instanceof IntervalWindow);
    assert.equal(w.key, '5:30');
    assert.equal(w.maxTimestamp, 29);
    assert.equal(back.active.get('0:10')!.address, '0:10');
    assert.equal(back.list[0], GlobalWindow.INSTANCE);
    assert.deepEqual(back.list.slice(1), [1, 'x']);
    assert.ok([...back.set][0] instanceof IntervalWindow);
    // The input is not changed by encoding.
    assert.ok(active.get('0:10')!.window instanceof IntervalWindow);
  });

  it('reads values written before windows were supported (plain structured serialization) as they were', () => {
    const w = new ByteWriter();
    w.bytes(serialize({ a: [1, 2], m: new Map([['k', 1]]) }));
    assert.deepEqual(decodeFromBytes(c, w.toBytes()), { a: [1, 2], m: new Map([['k', 1]]) });
    assert.deepEqual(roundTrip({ a: [1, { b: null }] }), { a: [1, { b: null }] });
  });

  it('still refuses other class instances (window subclasses included) and its reserved field names, naming the path', () => {
    class Tagged extends IntervalWindow {}
    assert.throws(() => encodeToBytes(c, { w: new Tagged(0, 1) }), (e: unknown) => e instanceof StateNotEncodableError && /value\.w is an instance of Tagged/.test(e.message));
    assert.throws(() => encodeToBytes(c, [{ '\u0000riffle.window': 'global' }]), StateNotEncodableError);
  });
});
