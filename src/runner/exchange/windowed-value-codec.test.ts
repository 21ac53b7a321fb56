import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ByteReader,
  ByteWriter,
  coders,
  END_OF_GLOBAL_WINDOW,
  GLOBAL_WINDOWS,
  GlobalWindow,
  IntervalWindow,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  ON_TIME_AND_ONLY_FIRING,
  paneInfo,
  type BoundedWindow,
  type Instant,
  type PaneInfo,
  type PaneTiming,
} from '../../model/index.ts';
import { WindowedValueCodec } from './windowed-value-codec.ts';

interface Decoded {
  value: unknown;
  timestamp: Instant;
  windows: readonly BoundedWindow[];
  pane: PaneInfo;
}

function roundTrip(codec: WindowedValueCodec, items: Decoded[]): { out: Decoded[]; bytes: number } {
  const w = new ByteWriter();
  for (const it of items) codec.encode(it.value, it.timestamp, it.windows, it.pane, w);
  const r = new ByteReader(w.toBytes());
  const out: Decoded[] = [];
  for (let i = 0; i < items.length; i++) codec.decode(r, (value, timestamp, windows, pane) => out.push({ value, timestamp, windows, pane }));
  assert.ok(r.done, 'no trailing bytes');
  return { out, bytes: w.length };
}

test('a global-window element with an integer timestamp costs a flags byte, its timestamp varint and its value', () => {
  const codec = new WindowedValueCodec(coders.string());
  const { out, bytes } = roundTrip(codec, [{ value: 'ab', timestamp: 1000, windows: GLOBAL_WINDOWS, pane: NO_FIRING }]);
  assert.equal(bytes, 1 + 2 + 3);
  assert.equal(out[0]!.windows, GLOBAL_WINDOWS);
  assert.equal(out[0]!.pane, NO_FIRING);
  const minimal = roundTrip(codec, [{ value: '', timestamp: MIN_TIMESTAMP, windows: [GlobalWindow.INSTANCE], pane: ON_TIME_AND_ONLY_FIRING }]);
  assert.equal(minimal.bytes, 2);
  assert.equal(minimal.out[0]!.pane, ON_TIME_AND_ONLY_FIRING);
});

test('decoding reuses the window array while consecutive elements share their windows', () => {
  const codec = new WindowedValueCodec(coders.varInt());
  const win = [new IntervalWindow(0, 60_000)];
  const { out } = roundTrip(codec, [1, 2, 3].map((v) => ({ value: v, timestamp: v, windows: win, pane: NO_FIRING })));
  assert.equal(out[0]!.windows, out[1]!.windows);
  assert.equal(out[1]!.windows, out[2]!.windows);
  assert.deepEqual(out[2]!.windows, win);
});

const timing = fc.constantFrom<PaneTiming>('EARLY', 'ON_TIME', 'LATE', 'UNKNOWN');
const pane = fc.oneof(
  fc.constant(NO_FIRING),
  fc.constant(ON_TIME_AND_ONLY_FIRING),
  fc.tuple(fc.boolean(), fc.boolean(), timing, fc.nat(1e9), fc.integer({ min: -1, max: 1e9 })).map(([isFirst, isLast, t, index, nonSpeculativeIndex]) => paneInfo({ isFirst, isLast, timing: t, index, nonSpeculativeIndex })),
);
const instant = fc.oneof(
  fc.constantFrom(MIN_TIMESTAMP, MAX_TIMESTAMP, END_OF_GLOBAL_WINDOW, 0, -1),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
);
const window = fc.oneof(
  fc.constant<BoundedWindow>(GlobalWindow.INSTANCE),
  fc.tuple(fc.integer({ min: -1e13, max: 1e13 }), fc.integer({ min: 1, max: 1e9 })).map(([s, len]) => new IntervalWindow(s, s + len) as BoundedWindow),
);

test('every timestamp, window list and pane round-trips (property)', () => {
  const codec = new WindowedValueCodec(coders.kv(coders.string(), coders.double()));
  fc.assert(
    fc.property(
      fc.array(fc.record({ value: fc.tuple(fc.string(), fc.double()).map(([key, value]) => ({ key, value })), timestamp: instant, windows: fc.array(window, { minLength: 1, maxLength: 3 }), pane }), { maxLength: 20 }),
      (items) => {
        const { out } = roundTrip(codec, items);
        assert.equal(out.length, items.length);
        for (let i = 0; i < items.length; i++) {
          assert.deepEqual(out[i]!.value, items[i]!.value);
          assert.ok(Object.is(out[i]!.timestamp, items[i]!.timestamp) || out[i]!.timestamp === items[i]!.timestamp);
          assert.deepEqual(out[i]!.windows.map((w) => w.key), items[i]!.windows.map((w) => w.key));
          assert.deepEqual({ ...out[i]!.pane }, { ...items[i]!.pane });
        }
      },
    ),
    { seed: 7, numRuns: 300 },
  );
});

test('a custom window without a window coder is refused with what to do', () => {
  const codec = new WindowedValueCodec(coders.string());
  const custom: BoundedWindow = { maxTimestamp: 5, key: 'custom:5' };
  assert.throws(() => codec.encode('x', 0, [custom], NO_FIRING, new ByteWriter()), /cannot cross workers.*window coder/s);
  const withCoder = new WindowedValueCodec(coders.string(), {
    name: 'custom-window',
    deterministic: true,
    encode: (w, o) => o.varUint(w.maxTimestamp),
    decode: (i) => {
      const t = i.varUint();
      return { maxTimestamp: t, key: `custom:${t}` };
    },
  });
  const { out } = roundTrip(withCoder, [{ value: 'x', timestamp: 0, windows: [custom], pane: NO_FIRING }]);
  assert.equal(out[0]!.windows[0]!.key, 'custom:5');
});

test('a window extending IntervalWindow crosses with its window coder, or is refused — never cut down to its interval', () => {
  class TaggedWindow extends IntervalWindow {
    constructor(start: number, end: number, readonly tag: number) {
      super(start, end);
    }
  }
  const interval = coders.intervalWindow();
  const tagged: import('../../model/index.ts').Coder<BoundedWindow> = {
    name: 'tagged',
    deterministic: true,
    encode(w, out) {
      interval.encode(w as TaggedWindow, out);
      out.varUint((w as TaggedWindow).tag);
    },
    decode(input) {
      const i = interval.decode(input);
      return new TaggedWindow(i.start, i.end, input.varUint());
    },
  };
  const item = { value: 'x', timestamp: 5, windows: [new TaggedWindow(0, 10, 42)], pane: NO_FIRING };
  const { out } = roundTrip(new WindowedValueCodec(coders.string(), tagged), [item, { ...item, windows: [new IntervalWindow(0, 10)] }]);
  const w = out[0]!.windows[0]!;
  assert.ok(w instanceof TaggedWindow && w.tag === 42 && w.start === 0 && w.end === 10, 'the subclass and its field came back');
  assert.equal(out[1]!.windows[0]!.constructor, IntervalWindow, 'a plain interval stays one');
  assert.throws(
    () => roundTrip(new WindowedValueCodec(coders.string()), [item]),
    (e: unknown) => (e as { code?: string }).code === 'EXCHANGE_WINDOW_NOT_ENCODABLE' && /extends IntervalWindow/.test((e as Error).message),
  );
});
