// Property 1a: in batch, whatever the bundle sizes and input order, the keyed transforms (groupByKey, combine.perKey
// with the built-in combiners, combine.globally, distinct, coGroupByKey and join) equal plain-JS reference results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { coGroupByKey, combine, create, distinct, groupByKey, join, kv, Pipeline, type JoinKind, type KV } from '../../src/index.ts';
import { batchSizeArb, capture, elemsArb, fcOptions, numSort, permute, sortKeysArb, sortedLines, type Elem } from './support.ts';

const kvs = (es: readonly Elem[]): KV<string, number>[] => es.map((e) => kv(e.key, e.value));

function byKey(es: readonly Elem[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of es) m.set(e.key, [...(m.get(e.key) ?? []), e.value]);
  return m;
}

/** The same input read twice: in the given order and bundling, and permuted with another bundling. */
const twoReadsArb = fc.record({ elems: elemsArb(60), batchA: batchSizeArb, batchB: batchSizeArb, order: sortKeysArb });

test('groupByKey: per key, the multiset of values (any bundling, any order)', async () => {
  await fc.assert(
    fc.asyncProperty(twoReadsArb, async ({ elems, batchA, batchB, order }) => {
      const p = Pipeline.create();
      const outs = [
        capture(p.apply(create(kvs(elems), { batchSize: batchA })).apply(groupByKey<string, number>())),
        capture(p.apply(create(kvs(permute(elems, order)), { batchSize: batchB })).apply(groupByKey<string, number>())),
      ];
      await p.run();
      const want = sortedLines([...byKey(elems)].map(([k, vs]) => `${k}:${numSort(vs).join(',')}`));
      for (const out of outs) assert.deepEqual(sortedLines(out.map((o) => `${o.value.key}:${numSort(o.value.value).join(',')}`)), want);
    }),
    fcOptions(),
  );
});

test('combine.perKey with sum, count, max, toList and mean equals the reference', async () => {
  await fc.assert(
    fc.asyncProperty(twoReadsArb, async ({ elems, batchA, batchB, order }) => {
      const p = Pipeline.create();
      const inputs = [p.apply(create(kvs(elems), { batchSize: batchA })), p.apply(create(kvs(permute(elems, order)), { batchSize: batchB }))];
      const runs = inputs.map((input) => ({
        sum: capture(input.apply(combine.perKey(combine.sum()))),
        count: capture(input.apply(combine.perKey(combine.count()))),
        max: capture(input.apply(combine.perKey(combine.max()))),
        toList: capture(input.apply(combine.perKey(combine.toList<number>()))),
        mean: capture(input.apply(combine.perKey(combine.mean()))),
      }));
      await p.run();
      const ref = byKey(elems);
      const want = (f: (vs: number[]) => string) => sortedLines([...ref].map(([k, vs]) => `${k}=${f(vs)}`));
      const got = (obs: ReadonlyArray<{ value: KV<string, unknown> }>, f: (v: any) => string) => sortedLines(obs.map((o) => `${o.value.key}=${f(o.value.value)}`));
      for (const r of runs) {
        assert.deepEqual(got(r.sum, String), want((vs) => String(vs.reduce((a, b) => a + b, 0))), 'sum');
        assert.deepEqual(got(r.count, String), want((vs) => String(vs.length)), 'count');
        assert.deepEqual(got(r.max, String), want((vs) => String(Math.max(...vs))), 'max');
        assert.deepEqual(got(r.toList, (v: number[]) => numSort(v).join(',')), want((vs) => numSort(vs).join(',')), 'toList');
        // Small integers: the compensated mean is exact up to the division.
        assert.deepEqual(got(r.mean, (v: number) => v.toFixed(9)), want((vs) => (vs.reduce((a, b) => a + b, 0) / vs.length).toFixed(9)), 'mean');
      }
    }),
    fcOptions(),
  );
});

test('combine.globally equals the reference, with the default for empty input', async () => {
  await fc.assert(
    fc.asyncProperty(twoReadsArb, async ({ elems, batchA, batchB, order }) => {
      const p = Pipeline.create();
      const values = elems.map((e) => e.value);
      const inputs = [p.apply(create(values, { batchSize: batchA })), p.apply(create(permute(values, order), { batchSize: batchB }))];
      const runs = inputs.map((input) => ({
        sum: capture(input.apply(combine.globally(combine.sum()))),
        count: capture(input.apply(combine.globally(combine.count()))),
        max: capture(input.apply(combine.globally(combine.max(), { withoutDefaults: true }))),
        list: capture(input.apply(combine.globally(combine.toList<number>()))),
      }));
      await p.run();
      for (const r of runs) {
        assert.deepEqual(
          r.sum.map((o) => o.value),
          [values.reduce((a, b) => a + b, 0)],
        );
        assert.deepEqual(
          r.count.map((o) => o.value),
          [values.length],
        );
        assert.deepEqual(
          r.max.map((o) => o.value),
          values.length === 0 ? [] : [Math.max(...values)],
        );
        assert.deepEqual(
          r.list.map((o) => numSort(o.value)),
          [numSort(values)],
        );
      }
    }),
    fcOptions(),
  );
});

/** Values for distinct: numbers, strings, and small objects whose key order varies (equal as values). */
const distinctValueArb = fc.oneof(
  fc.integer({ min: 0, max: 6 }),
  fc.constantFrom('x', 'y', '1'),
  fc.record({ a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 1 }) }).chain(({ a, b }) => fc.constantFrom<object>({ a, b }, { b, a })),
);
const canon = (v: unknown): string => (typeof v === 'object' && v !== null ? `obj:${JSON.stringify(Object.fromEntries(Object.entries(v).sort()))}` : `${typeof v}:${String(v)}`);

test('distinct keeps exactly one of each distinct value', async () => {
  await fc.assert(
    fc.asyncProperty(fc.record({ values: fc.array(distinctValueArb, { maxLength: 50 }), batch: batchSizeArb }), async ({ values, batch }) => {
      const p = Pipeline.create();
      const out = capture(p.apply(create<unknown>(values, { batchSize: batch })).apply(distinct<unknown>()));
      await p.run();
      assert.deepEqual(sortedLines(out.map((o) => canon(o.value))), sortedLines([...new Set(values.map(canon))]));
    }),
    fcOptions(),
  );
});

test('coGroupByKey and join (inner, left, right, outer) equal the reference', async () => {
  const side = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.integer({ min: 0, max: 30 }) }), { maxLength: 15 });
  await fc.assert(
    fc.asyncProperty(fc.record({ left: side, right: side, batchL: batchSizeArb, batchR: batchSizeArb }), async ({ left, right, batchL, batchR }) => {
      const p = Pipeline.create();
      const l = p.apply(create(left.map((e) => kv(e.key, e.value)), { batchSize: batchL }));
      const r = p.apply(create(right.map((e) => kv(e.key, `r${e.value}`)), { batchSize: batchR }));
      const cg = capture(coGroupByKey({ l, r }));
      const kinds: JoinKind[] = ['inner', 'left', 'right', 'outer'];
      const joins = kinds.map((k) => capture(join(l, r, k)));
      await p.run();

      const keys = [...new Set([...left, ...right].map((e) => e.key))];
      const ls = (k: string) => left.filter((e) => e.key === k).map((e) => e.value);
      const rs = (k: string) => right.filter((e) => e.key === k).map((e) => `r${e.value}`);
      assert.deepEqual(
        sortedLines(cg.map((o) => `${o.value.key}|${numSort(o.value.value.l).join(',')}|${[...o.value.value.r].sort().join(',')}`)),
        sortedLines(keys.map((k) => `${k}|${numSort(ls(k)).join(',')}|${rs(k).sort().join(',')}`)),
        'coGroupByKey',
      );
      kinds.forEach((kind, i) => {
        const want: string[] = [];
        for (const k of keys) {
          const a = ls(k);
          const b = rs(k);
          if (a.length > 0 && b.length > 0) for (const x of a) for (const y of b) want.push(`${k}|${x}|${y}`);
          else if (a.length > 0 && (kind === 'left' || kind === 'outer')) for (const x of a) want.push(`${k}|${x}|undefined`);
          else if (b.length > 0 && (kind === 'right' || kind === 'outer')) for (const y of b) want.push(`${k}|undefined|${y}`);
        }
        assert.deepEqual(sortedLines(joins[i]!.map((o) => `${o.value.key}|${o.value.value.left}|${o.value.value.right}`)), sortedLines(want), `join ${kind}`);
      });
    }),
    fcOptions(),
  );
});
