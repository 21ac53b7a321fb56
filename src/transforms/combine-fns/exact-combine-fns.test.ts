import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineFns, DuplicateKeyError, type CombineFn } from './index.ts';
import { combineDirect, combineWithPlan, planArb } from './partitioned.test-kit.ts';
import { kv } from '../../model/index.ts';

/** For random inputs and random split/merge plans, the combined result equals the expected one. */
function agreesWithDirect<I, O>(fn: () => CombineFn<I, any, O>, inputs: fc.Arbitrary<I[]>, expected: (xs: I[]) => O, numRuns = 200): void {
  fc.assert(
    fc.property(inputs, planArb(), (xs, plan) => {
      assert.deepEqual(combineWithPlan(fn(), xs, plan), expected(xs));
      assert.deepEqual(combineDirect(fn(), xs), expected(xs));
    }),
    { numRuns },
  );
}

const ints = fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 300 });
const sortNum = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('exact combine functions: any split and merge order gives the direct result', () => {
  it('count', () => agreesWithDirect(() => combineFns.count<number>(), ints, (xs) => xs.length));

  it('sum of integers is exact', () => agreesWithDirect(() => combineFns.sum(), ints, (xs) => xs.reduce((a, b) => a + b, 0)));

  it('sum of floats agrees with naive addition to 1e-12 of the magnitude', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 300 }), planArb(), (xs, plan) => {
        const got = combineWithPlan(combineFns.sum(), xs, plan);
        const naive = xs.reduce((a, b) => a + b, 0);
        const magnitude = xs.reduce((a, b) => a + Math.abs(b), 0);
        assert.ok(Math.abs(got - naive) <= magnitude * 1e-12 + 1e-300, `${got} vs ${naive}`);
      }),
      { numRuns: 200 },
    );
  });

  it('sum compensates cancellation that naive addition loses', () => {
    assert.equal(combineDirect(combineFns.sum(), [1, 1e100, 1, -1e100]), 2);
    assert.equal(combineDirect(combineFns.sum(), Array(10).fill(0.1)), 1);
    assert.equal(combineDirect(combineFns.sum(), [Infinity, 1]), Infinity);
    assert.ok(Number.isNaN(combineDirect(combineFns.sum(), [Infinity, -Infinity])));
  });

  it('sum with an extractor; sumBigInt', () => {
    agreesWithDirect(() => combineFns.sum((e: { v: number }) => e.v), fc.array(fc.record({ v: fc.integer() }), { maxLength: 100 }), (xs) => xs.reduce((a, b) => a + b.v, 0));
    agreesWithDirect(() => combineFns.sumBigInt(), fc.array(fc.bigInt(), { maxLength: 100 }), (xs) => xs.reduce((a, b) => a + b, 0n));
  });

  it('mean (NaN when empty)', () => {
    agreesWithDirect(() => combineFns.mean(), fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 300 }), (xs) => {
      // Compare at a tolerance by rounding: the mean of integers divided once.
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    });
    assert.ok(Number.isNaN(combineDirect(combineFns.mean(), [])));
    assert.equal(combineDirect(combineFns.mean((e: { t: number }) => e.t), [{ t: 1 }, { t: 2 }]), 1.5);
  });

  it('min and max (undefined when empty)', () => {
    agreesWithDirect(() => combineFns.min(), ints, (xs) => (xs.length ? Math.min(...xs) : undefined));
    agreesWithDirect(() => combineFns.max(), ints, (xs) => (xs.length ? Math.max(...xs) : undefined));
    agreesWithDirect(() => combineFns.min((s: string) => s.length), fc.array(fc.string(), { maxLength: 50 }), (xs) => (xs.length ? Math.min(...xs.map((s) => s.length)) : undefined));
    agreesWithDirect(() => combineFns.max((s: string) => s), fc.array(fc.string(), { maxLength: 50 }), (xs) => (xs.length ? [...xs].sort().at(-1) : undefined));
  });

  it('min/max by comparator return the element itself', () => {
    type Bid = { id: number; price: number };
    const bids: Bid[] = [{ id: 1, price: 5 }, { id: 2, price: 9 }, { id: 3, price: 1 }];
    const byPrice = (a: Bid, b: Bid) => a.price - b.price;
    assert.equal(combineDirect(combineFns.max(byPrice), bids), bids[1]);
    assert.equal(combineDirect(combineFns.min({ compare: byPrice }), bids), bids[2]);
    assert.equal(combineDirect(combineFns.min(byPrice), []), undefined);
  });

  it('NaN is sticky in min/max whatever the order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(NaN)), { maxLength: 50 }), planArb(), (xs, plan) => {
        const got = combineWithPlan(combineFns.min(), xs, plan);
        if (xs.some(Number.isNaN)) assert.ok(Number.isNaN(got));
        else assert.equal(got, xs.length ? Math.min(...xs) : undefined);
      }),
    );
  });

  it('topN and bottomN keep the n largest/smallest, sorted', () => {
    fc.assert(
      fc.property(ints, fc.integer({ min: 0, max: 20 }), planArb(), (xs, n, plan) => {
        assert.deepEqual(combineWithPlan(combineFns.topN(n), xs, plan), sortNum(xs).reverse().slice(0, n));
        assert.deepEqual(combineWithPlan(combineFns.bottomN(n), xs, plan), sortNum(xs).slice(0, n));
      }),
      { numRuns: 300 },
    );
    const words = ['pear', 'fig', 'banana', 'kiwi'];
    assert.deepEqual(combineDirect(combineFns.topN(2, (a: string, b: string) => a.length - b.length), words), ['banana', 'pear']);
    assert.throws(() => combineFns.topN(-1), /non-negative integer/);
  });

  it('toList keeps every element (as a multiset)', () => {
    fc.assert(fc.property(ints, planArb(), (xs, plan) => assert.deepEqual(sortNum(combineWithPlan(combineFns.toList<number>(), xs, plan)), sortNum(xs))));
  });

  it('toSet and distinctCount', () => {
    const small = fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 });
    fc.assert(fc.property(small, planArb(), (xs, plan) => assert.deepEqual(sortNum([...combineWithPlan(combineFns.toSet<number>(), xs, plan)]), sortNum([...new Set(xs)]))));
    agreesWithDirect(() => combineFns.distinctCount<number>(), small, (xs) => new Set(xs).size);
    const users = [{ id: 1, tags: ['a'] }, { tags: ['a'], id: 1 }, { id: 2, tags: [] }];
    assert.equal(combineDirect(combineFns.distinctCount(), users), 2, 'objects are distinct by content, key order aside');
    assert.equal(combineDirect(combineFns.distinctCount(), [0, -0, NaN, NaN, '0', 0n]), 4);
    assert.equal(combineDirect(combineFns.distinctCount((u: { id: number }) => u.id), users), 2);
  });

  it('toMap: equal duplicates are fine, different ones throw unless merged', () => {
    const entries = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5 })), { maxLength: 200 });
    fc.assert(
      fc.property(entries, planArb(), (pairs, plan) => {
        const expected = new Map<number, number>();
        for (const [k, v] of pairs) expected.set(k, (expected.get(k) ?? 0) + v);
        const got = combineWithPlan(combineFns.toMap<number, number>({ merge: (a, b) => a + b }), pairs.map(([k, v]) => kv(k, v)), plan);
        assert.deepEqual(new Map([...got].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])));
      }),
    );
    const fn = combineFns.toMap<string, { n: number }>();
    assert.deepEqual(combineDirect(fn, [kv('a', { n: 1 }), kv('a', { n: 1 }), kv('b', { n: 2 })]), new Map([['a', { n: 1 }], ['b', { n: 2 }]]));
    assert.throws(() => combineDirect(fn, [kv('a', { n: 1 }), kv('a', { n: 2 })]), (e: unknown) => e instanceof DuplicateKeyError && /merge/.test(e.message));
  });

  it('mapInput adapts the input type', () => {
    assert.deepEqual(combineDirect(combineFns.mapInput(combineFns.topN(2), (s: string) => s.length), ['a', 'abc', 'ab']), [3, 2]);
  });
});

describe('mutation safety', () => {
  it('merging the same inputs in different orders gives the same result, for every built-in', () => {
    const fns: Array<() => CombineFn<number, any, unknown>> = [
      () => combineFns.count(),
      () => combineFns.sum(),
      () => combineFns.min(),
      () => combineFns.max(),
      () => combineFns.topN(5),
      () => combineFns.bottomN(5),
      () => combineFns.distinctCount(),
      () => combineFns.approximateDistinctCount(),
      () => combineFns.struct({ n: combineFns.count(), s: combineFns.sum(), top: combineFns.topN(3) }),
    ];
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 }), { minLength: 1, maxLength: 6 }), (parts) => {
        for (const make of fns) {
          const fn = make();
          const build = () => parts.map((p) => p.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator()));
          const forward = fn.extractOutput(fn.mergeAccumulators(build()));
          const backward = fn.extractOutput(fn.mergeAccumulators(build().reverse()));
          // Pairwise, right to left.
          let accs = build();
          while (accs.length > 1) accs = [...accs.slice(0, -2), fn.mergeAccumulators(accs.slice(-2).reverse())];
          const nested = fn.extractOutput(accs[0]);
          assert.deepEqual(backward, forward, fn.name);
          assert.deepEqual(nested, forward, fn.name);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('mergeAccumulators of nothing gives an empty accumulator', () => {
    assert.equal(combineFns.count().extractOutput(combineFns.count().mergeAccumulators([])), 0);
    assert.equal(combineFns.max().extractOutput(combineFns.max().mergeAccumulators([])), undefined);
    assert.deepEqual(combineFns.topN(3).extractOutput(combineFns.topN(3).mergeAccumulators([])), []);
  });
});
