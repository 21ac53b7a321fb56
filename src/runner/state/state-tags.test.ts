import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { ByteWriter, decodeFromBytes, encodeToBytes, GlobalWindow, IntervalWindow } from '../../model/index.ts';
import { StateNotEncodableError, structuredStateCoder } from './state-tags.ts';

describe('structuredStateCoder', () => {
  const c = structuredStateCoder<unknown>();
  const roundTrip = (v: unknown) => decodeFromBytes(c, encodeToBytes(c, v));

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
