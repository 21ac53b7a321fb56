// Property 3: a lifted combine (pre-combined before the shuffle) and an unlifted one give the same results. The planner
// lifts only non-merging windows under a watermark-only trigger (planner.ts isLiftable), so the unlifted twin uses the
// same windows with afterWatermark({ late: afterCount(1) }), which in batch (nothing is late) fires exactly as the
// default trigger does; and groupByKey + combine.groupedValues is a third, shuffle-everything path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  combine,
  createTimestamped,
  groupByKey,
  kv,
  LocalRunner,
  Pipeline,
  trigger,
  window,
  type CombineFn,
  type KV,
  type LocalRunOptions,
  type Observed,
  type PCollection,
  type TimestampCombiner,
} from '../../src/index.ts';
import { batchSizeArb, capture, elemsArb, fcOptions, isMergingSpec, refGroups, refOutputTime, sortedLines, winSpecArb, windowFnOf, numSort } from './support.ts';

type Fn = { name: string; fn: () => CombineFn<number, any, any>; show: (v: any) => string; ref: (vs: number[]) => string };
const fns: Fn[] = [
  { name: 'sum', fn: () => combine.sum(), show: String, ref: (vs) => String(vs.reduce((a, b) => a + b, 0)) },
  { name: 'count', fn: () => combine.count(), show: String, ref: (vs) => String(vs.length) },
  { name: 'max', fn: () => combine.max(), show: String, ref: (vs) => String(Math.max(...vs)) },
  { name: 'mean', fn: () => combine.mean(), show: (v: number) => v.toFixed(9), ref: (vs) => (vs.reduce((a, b) => a + b, 0) / vs.length).toFixed(9) },
  { name: 'toList', fn: () => combine.toList<number>(), show: (v: number[]) => numSort(v).join(','), ref: (vs) => numSort(vs).join(',') },
];

const line = (o: Observed<KV<string, unknown>>, show: (v: any) => string) => `${o.value.key} @${o.window.key} ${show(o.value.value)} t=${o.timestamp} ${o.pane.timing}`;

test('the lift is what the planner says it is', () => {
  const p = Pipeline.create();
  const input = p.apply(createTimestamped([{ value: kv('a', 1), timestamp: 0 }]));
  input.apply(window.into<KV<string, number>>(window.fixed(10))).apply('Lifted', combine.perKey(combine.sum()));
  input.apply(window.into<KV<string, number>>(window.fixed(10), { trigger: trigger.afterWatermark({ late: trigger.afterCount(1) }) })).apply('Unlifted', combine.perKey(combine.sum()));
  const plan = new LocalRunner().explain(p.graph);
  assert.match(plan, /Lifted\[lifted\]/);
  assert.doesNotMatch(plan, /Unlifted\[lifted\]/);
});

test('lifted combine = unlifted combine = groupByKey + groupedValues = reference (any bundling, any precombine budget)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        spec: winSpecArb,
        tc: fc.constantFrom<TimestampCombiner>('endOfWindow', 'earliest', 'latest'),
        elems: elemsArb(50),
        batch: batchSizeArb,
        precombineEntries: fc.integer({ min: 1, max: 8 }),
        batchGrouping: fc.boolean(),
      }),
      async ({ spec, tc, elems, batch, precombineEntries, batchGrouping }) => {
        const p = Pipeline.create();
        const input = p.apply(createTimestamped(elems.map((e) => ({ value: kv(e.key, e.value), timestamp: e.ts })), { batchSize: batch }));
        const lifted = input.apply(window.into<KV<string, number>>(windowFnOf(spec), { timestampCombiner: tc }));
        const unlifted = input.apply(
          window.into<KV<string, number>>(windowFnOf(spec), { timestampCombiner: tc, trigger: trigger.afterWatermark({ late: trigger.afterCount(1) }) }),
        );
        const paths = (pc: PCollection<KV<string, number>>) => fns.map((f) => capture<KV<string, unknown>>(pc.apply(combine.perKey(f.fn()))));
        const outs = {
          lifted: paths(lifted),
          unlifted: paths(unlifted),
          grouped: fns.map((f) => capture<KV<string, unknown>>(lifted.apply(groupByKey<string, number>()).apply(combine.groupedValues(f.fn())))),
        };
        // batchGrouping false: the lifted path really precombines and goes through the reducer; true: the batch table.
        const options: LocalRunOptions = { precombineEntries, batchGrouping };
        await p.run(options);
        const ref = refGroups(spec, elems);
        fns.forEach((f, i) => {
          const want = sortedLines(ref.map((g) => `${g.key} @${g.window.key} ${f.ref(g.elems.map((e) => e.value))} t=${refOutputTime(tc, g)} ON_TIME`));
          for (const [path, out] of Object.entries(outs)) assert.deepEqual(sortedLines(out[i]!.map((o) => line(o, f.show))), want, `${path} ${f.name}${isMergingSpec(spec) ? ' (merging)' : ''}`);
        });
      },
    ),
    fcOptions(),
  );
});
