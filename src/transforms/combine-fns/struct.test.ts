import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combineFns, type CombineFn, type InputOf, type OutputOf } from './index.ts';
import { combineDirect, combineWithPlan, planArb } from './partitioned.test-kit.ts';

interface Event {
  revenue: number;
  userId: string;
}

// A stand-in for combine.perKey's signature, to check that the input type flows from the context.
declare function perKey<T, K, O>(key: (t: T) => K, fn: CombineFn<T, any, O>): O;

describe('struct', () => {
  it('computes several aggregates in one pass, under any split', () => {
    const events = fc.array(fc.record({ revenue: fc.integer({ min: 0, max: 100 }), userId: fc.constantFrom('a', 'b', 'c', 'd') }), { maxLength: 300 });
    fc.assert(
      fc.property(events, planArb(), (xs, plan) => {
        const fn = combineFns.struct({
          total: combineFns.sum((e: Event) => e.revenue),
          users: combineFns.distinctCount((e: Event) => e.userId),
          events: combineFns.count(),
          top: combineFns.mapInput(combineFns.topN(2), (e: Event) => e.revenue),
        });
        const expected = {
          total: xs.reduce((a, e) => a + e.revenue, 0),
          users: new Set(xs.map((e) => e.userId)).size,
          events: xs.length,
          top: xs.map((e) => e.revenue).sort((a, b) => b - a).slice(0, 2),
        };
        assert.deepEqual(combineWithPlan(fn, xs, plan), expected);
      }),
    );
  });

  it('compacts its members', () => {
    const fn = combineFns.struct({ n: combineFns.count<string>(), d: combineFns.approximateDistinctCount<string>() });
    assert.equal(typeof fn.compact, 'function');
    assert.deepEqual(fn.extractOutput(fn.compact!(fn.addInput(fn.createAccumulator(), 'x'))), { n: 1, d: 1 });
    assert.equal(combineFns.struct({ n: combineFns.count() }).compact, undefined);
  });

  it('types flow: precise output, input from members or from the context', () => {
    const fromMembers = combineFns.struct({
      total: combineFns.sum((e: Event) => e.revenue),
      users: combineFns.distinctCount((e: Event) => e.userId),
      events: combineFns.count(),
    });
    const output: { total: number; users: number; events: number } = combineDirect(fromMembers, [{ revenue: 2, userId: 'u' }]);
    assert.deepEqual(output, { total: 2, users: 1, events: 1 });
    const input: InputOf<typeof fromMembers> = { revenue: 1, userId: 'a' };
    // @ts-expect-error userId is required by a member
    const incomplete: InputOf<typeof fromMembers> = { revenue: 1 };
    // The extractors' parameter `e` is typed by perKey's element type (no annotation needed).
    const _fromContext = () => perKey((e: Event) => e.userId, combineFns.struct({ total: combineFns.sum((e) => e.revenue), n: combineFns.count() }));
    const out: { total: number; n: number } = null as unknown as ReturnType<typeof _fromContext>;
    const minOut: OutputOf<ReturnType<typeof combineFns.min<Event, string>>> = undefined;
    const _minOfNumbers = combineFns.min();
    // @ts-expect-error min of numbers is number | undefined, not string
    const wrong: OutputOf<typeof _minOfNumbers> = 'x';
    void [input, incomplete, out, minOut, wrong];
  });
});
