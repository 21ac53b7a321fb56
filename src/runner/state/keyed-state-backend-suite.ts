import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter, coders, type Instant, RiffleError } from '../../model/index.ts';
import { runStateBackendSuite, stateTags, type StateCombineFn } from '../../semantics/index.ts';
import { MemoryBudget } from './memory-budget.ts';
import type { StateBackend, StateBackendOptions } from './state-backend.ts';
import { codedStateTags, StateNotEncodableError, structuredStateCoder } from './state-tags.ts';

/** What a keyed backend factory receives. `budget` is small enough that a spilling backend spills at every flush. */
export type KeyedStateBackendFactory = (opts: StateBackendOptions & { budget: MemoryBudget }) => StateBackend;

const sum: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};

const T = {
  value: codedStateTags.value('v', coders.string()),
  bag: codedStateTags.bag('b', coders.varInt()),
  combining: codedStateTags.combining('c', sum, coders.varInt()),
  map: codedStateTags.map('m', coders.string(), coders.varInt()),
  set: codedStateTags.set('s', coders.string()),
  list: codedStateTags.orderedList('l', coders.string()),
  hold: codedStateTags.watermarkHold('h'),
};

type HoldEvent = [number, string, string, string, Instant | undefined, Instant | undefined];

/**
 * The conformance suite of keyed state backends: semantics' per-key suite (`runStateBackendSuite`, unchanged) over
 * a backend's `forKey` view, then the port's own operations — key groups, keys, drop, snapshot/restore, accounting,
 * flush — and a property test against a reference model with flushes at random points.
 * @example
 *   runKeyedStateBackendSuite('spilling', (o) => new SpillingStateBackend(o));
 */
export function runKeyedStateBackendSuite(name: string, factory: KeyedStateBackendFactory): void {
  const tiny = () => MemoryBudget.of(256, 'state');
  runStateBackendSuite(`${name} (one key's view)`, (opts) =>
    factory({
      budget: MemoryBudget.of('64m'),
      ...(opts.onHoldChanged ? { onHoldChanged: (_ref, ns, id, prev, next) => opts.onHoldChanged!(ns, id, prev, next) } : {}),
    }).forKey(3, 'key'),
  );

  describe(`keyed state backend: ${name}`, () => {
    const withEvents = () => {
      const events: HoldEvent[] = [];
      const backend = factory({ budget: tiny(), onHoldChanged: (ref, ns, id, prev, next) => events.push([ref.keyGroup, ref.key, ns, id, prev, next]) });
      return { backend, events };
    };

    /** Writes one cell of every kind under (group, key). */
    const fill = (b: StateBackend, g: number, key: string, n: number) => {
      const s = b.forKey(g, key);
      s.state('w', T.value).write(`v${n}`);
      s.state('w', T.bag).add(n);
      s.state('w', T.bag).add(n + 1);
      s.state('w', T.combining).add(n);
      s.state('w', T.map).set(`k${n}`, n);
      s.state('w', T.set).add(`e${n}`);
      s.state('w', T.list).add(n, `t${n}`);
      s.state('w', T.hold).add(1000 + n);
    };
    const check = (b: StateBackend, g: number, key: string, n: number) => {
      const s = b.forKey(g, key);
      assert.equal(s.state('w', T.value).read(), `v${n}`);
      assert.deepEqual([...s.state('w', T.bag).read()], [n, n + 1]);
      assert.equal(s.state('w', T.combining).read(), n);
      assert.deepEqual([...s.state('w', T.map).entries()], [[`k${n}`, n]]);
      assert.deepEqual([...s.state('w', T.set).values()], [`e${n}`]);
      assert.deepEqual(s.state('w', T.list).read(), [{ timestamp: n, value: `t${n}` }]);
      assert.equal(s.state('w', T.hold).read(), 1000 + n);
    };

    it('key groups and keys are isolated; keys() lists keys with data once, in byte order', async () => {
      const { backend: b } = withEvents();
      fill(b, 1, 'b', 1);
      fill(b, 1, 'a', 2);
      fill(b, 2, 'a', 3);
      b.forKey(1, 'empty').state('w', T.bag); // touched, never written
      await b.flush();
      check(b, 1, 'b', 1);
      check(b, 1, 'a', 2);
      check(b, 2, 'a', 3);
      assert.deepEqual([...b.keys(1)], ['a', 'b']);
      assert.deepEqual([...b.keys(2)], ['a']);
      assert.deepEqual([...b.keys(9)], []);
      assert.deepEqual(b.keyGroups(), [1, 2]);
      b.close();
    });

    it('keys given as bytes and as latin1 strings are the same key', () => {
      const { backend: b } = withEvents();
      b.forKey(0, new Uint8Array([0, 255, 7])).state('w', T.value).write('x');
      assert.equal(b.forKey(0, '\u0000\u00ff\u0007').state('w', T.value).read(), 'x');
      b.close();
    });

    it('dropKeyGroup forgets the group (after a flush too) and reports its holds released', async () => {
      const { backend: b, events } = withEvents();
      fill(b, 1, 'a', 1);
      fill(b, 2, 'a', 2);
      await b.flush();
      events.length = 0;
      b.dropKeyGroup(1);
      assert.deepEqual(events, [[1, 'a', 'w', 'h', 1001, undefined]]);
      assert.deepEqual([...b.keys(1)], []);
      assert.equal(b.forKey(1, 'a').isEmpty(), true);
      assert.deepEqual(b.keyGroups(), [2]);
      check(b, 2, 'a', 2);
      b.close();
    });

    it('snapshot/restore round-trips a key group into a fresh backend (before it has seen the tags), reporting holds', async () => {
      const { backend: a } = withEvents();
      for (let i = 0; i < 20; i++) fill(a, 5, `key${i}`, i);
      fill(a, 6, 'other', 99);
      await a.flush();
      const bytes = a.snapshot(5);
      const { backend: b, events } = withEvents();
      fill(b, 5, 'stale', 7); // replaced by the restore
      events.length = 0;
      b.restore(5, bytes);
      assert.deepEqual(
        events.filter((e) => e[5] !== undefined).map((e) => e[1]).sort(),
        Array.from({ length: 20 }, (_, i) => `key${i}`).sort(),
      );
      assert.ok(events.some((e) => e[1] === 'stale' && e[5] === undefined), 'the replaced key releases its hold');
      assert.deepEqual([...b.keys(5)], Array.from({ length: 20 }, (_, i) => `key${i}`).sort());
      for (let i = 0; i < 20; i++) check(b, 5, `key${i}`, i);
      assert.deepEqual([...b.keys(6)], []);
      // And the restored backend snapshots to the same bytes.
      assert.deepEqual(b.snapshot(5), bytes);
      a.close();
      b.close();
    });

    it('refuses a snapshot of another key group, or damaged bytes, with a clear error', () => {
      const { backend: a } = withEvents();
      fill(a, 5, 'k', 1);
      const bytes = a.snapshot(5);
      assert.throws(() => a.restore(4, bytes), (e: unknown) => e instanceof RiffleError && e.code === 'STATE_SNAPSHOT_INVALID' && /holds key group 5/.test(e.message));
      assert.throws(() => a.restore(5, bytes.subarray(0, bytes.length - 3)), (e: unknown) => e instanceof RiffleError && e.code === 'STATE_SNAPSHOT_INVALID');
      assert.throws(() => a.restore(5, new Uint8Array([1, 2, 3, 4, 5])), (e: unknown) => e instanceof RiffleError && /marker/.test(e.message));
      check(a, 5, 'k', 1); // a refused restore changes nothing
      a.close();
    });

    it('a damaged key in a snapshot: a bad structure is refused whole, a cell that does not decode fails when read', () => {
      const { backend: a } = withEvents();
      fill(a, 5, 'k', 1);
      const snap = (cellKind: number, cellBytes: number[]) => {
        const w = new ByteWriter();
        for (const x of [0x52, 0x46, 0x4b, 0x47, 1, 5, 1]) w.byte(x); // magic, version, group, a record
        w.bytes(new TextEncoder().encode('bad'));
        const p = new ByteWriter();
        p.varUint(1);
        p.bytes(new TextEncoder().encode('w'));
        p.varUint(1);
        p.bytes(new TextEncoder().encode('v'));
        p.byte(cellKind);
        p.bytes(Uint8Array.from(cellBytes));
        w.bytes(p.toBytes());
        w.byte(0);
        return w.toBytes();
      };
      assert.throws(() => a.restore(5, snap(99, [0])), (e: unknown) => e instanceof RiffleError && e.code === 'STATE_DATA_CORRUPT');
      check(a, 5, 'k', 1); // refused whole: nothing changed
      a.restore(5, snap(1, [1, 10, 0x61])); // a value cell whose string claims 10 bytes and has 1
      assert.deepEqual([...a.keys(5)], ['bad']);
      assert.throws(() => a.forKey(5, 'bad').state('w', T.value).read(), (e: unknown) => e instanceof RiffleError && e.code === 'STATE_DATA_CORRUPT' && /'v'/.test(e.message));
      a.close();
    });

    it('state of tags without coders: snapshot names the tag; a default coder makes it work', () => {
      const { backend: a } = withEvents();
      a.forKey(0, 'k').state('w', stateTags.bag<{ x: number }>('plain')).add({ x: 1 });
      assert.throws(() => a.snapshot(0), (e: unknown) => e instanceof StateNotEncodableError && /'plain' \(bag\)/.test(e.message));
      a.close();
      const b = factory({ budget: tiny(), defaultCoder: structuredStateCoder() });
      b.forKey(0, 'k').state('w', stateTags.bag<{ x: number }>('plain')).add({ x: 1 });
      const c = factory({ budget: tiny(), defaultCoder: structuredStateCoder() });
      c.restore(0, b.snapshot(0));
      assert.deepEqual(c.forKey(0, 'k').state('w', stateTags.bag<{ x: number }>('plain')).read(), [{ x: 1 }]);
      class Point {
        constructor(readonly x: number) {}
      }
      b.forKey(0, 'k').state('w', stateTags.bag<unknown>('plain')).add(new Point(1));
      assert.throws(() => b.snapshot(0), (e: unknown) => e instanceof StateNotEncodableError && /Point/.test(e.message));
      b.close();
      c.close();
    });

    it('counts bytes in memory: grows with state, shrinks when it is cleared', async () => {
      const b = factory({ budget: MemoryBudget.of('64m') });
      const before = b.bytesInMemory;
      for (let i = 0; i < 100; i++) b.forKey(0, `k${i}`).state('w', T.bag).add(i);
      const full = b.bytesInMemory;
      assert.ok(full > before + 100 * 16, `bytes ${full}`);
      for (let i = 0; i < 100; i++) b.forKey(0, `k${i}`).clearNamespace('w');
      await b.flush();
      assert.ok(b.bytesInMemory < full / 4, `after clearing: ${b.bytesInMemory} of ${full}`);
      assert.ok(b.metrics().peakBytesInMemory >= full);
      b.close();
    });

    it('matches a reference model across random operations, flushes, drops and snapshot round trips (property)', async () => {
      type Op =
        | { op: 'add'; g: number; k: string; ns: string; v: number }
        | { op: 'write'; g: number; k: string; ns: string; v: number }
        | { op: 'clear'; g: number; k: string; ns: string }
        | { op: 'flush' }
        | { op: 'drop'; g: number }
        | { op: 'roundtrip'; g: number };
      const g = fc.integer({ min: 0, max: 3 });
      const k = fc.constantFrom('a', 'b', 'c', 'dd', '\u00ff');
      const ns = fc.constantFrom('w1', 'w2');
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), g, k, ns, v: fc.integer({ min: 0, max: 99 }) }) },
        { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), g, k, ns, v: fc.integer({ min: 0, max: 99 }) }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('clear' as const), g, k, ns }) },
        { weight: 3, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), g }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant('roundtrip' as const), g }) },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
          const b = factory({ budget: tiny() });
          const other = factory({ budget: tiny() });
          // Reference: group → key → ns → { bag, value }
          const ref = new Map<number, Map<string, Map<string, { bag: number[]; value?: number }>>>();
          const cellOf = (gg: number, kk: string, n: string) => {
            let gm = ref.get(gg);
            if (!gm) ref.set(gg, (gm = new Map()));
            let km = gm.get(kk);
            if (!km) gm.set(kk, (km = new Map()));
            let c = km.get(n);
            if (!c) km.set(n, (c = { bag: [] }));
            return c;
          };
          const valueTag = codedStateTags.value('val', coders.varInt());
          for (const o of ops) {
            if (o.op === 'add') {
              b.forKey(o.g, o.k).state(o.ns, T.bag).add(o.v);
              cellOf(o.g, o.k, o.ns).bag.push(o.v);
            } else if (o.op === 'write') {
              b.forKey(o.g, o.k).state(o.ns, valueTag).write(o.v);
              cellOf(o.g, o.k, o.ns).value = o.v;
            } else if (o.op === 'clear') {
              b.forKey(o.g, o.k).clearNamespace(o.ns);
              ref.get(o.g)?.get(o.k)?.delete(o.ns);
            } else if (o.op === 'flush') await b.flush();
            else if (o.op === 'drop') {
              b.dropKeyGroup(o.g);
              ref.delete(o.g);
            } else {
              other.restore(o.g, b.snapshot(o.g));
              b.dropKeyGroup(o.g);
              b.restore(o.g, other.snapshot(o.g));
            }
          }
          for (let gg = 0; gg <= 3; gg++) {
            const want = [...(ref.get(gg) ?? new Map()).entries()].filter(([, km]) => [...km.values()].some((c) => c.bag.length > 0 || c.value !== undefined)).map(([kk]) => kk).sort();
            assert.deepEqual([...b.keys(gg)], want, `keys of group ${gg}`);
            for (const kk of ['a', 'b', 'c', 'dd', '\u00ff']) {
              for (const n of ['w1', 'w2']) {
                const c = ref.get(gg)?.get(kk)?.get(n);
                const s = b.forKey(gg, kk);
                assert.deepEqual([...s.state(n, T.bag).read()], c?.bag ?? [], `bag ${gg}/${kk}/${n}`);
                assert.equal(s.state(n, valueTag).read(), c?.value, `value ${gg}/${kk}/${n}`);
              }
            }
          }
          b.close();
          other.close();
        }),
        { numRuns: 80 },
      );
    });
  });
}
