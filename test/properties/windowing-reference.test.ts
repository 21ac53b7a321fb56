// Property 1b: in batch with the default trigger, grouping per key and window equals a reference that assigns (and for
// sessions merges) windows itself, for every window function, with the output timestamp each timestamp combiner asks
// for and a single ON_TIME pane per window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combine, createTimestamped, groupByKey, kv, Pipeline, window, type KV, type Observed, type TimestampCombiner } from '../../src/index.ts';
import { batchSizeArb, capture, elemsArb, fcOptions, groupLine, permute, refGroups, refOutputTime, sortedLines, sortKeysArb, winSpecArb, windowFnOf } from './support.ts';

const tcArb = fc.constantFrom<TimestampCombiner>('endOfWindow', 'earliest', 'latest');

function paneProblems(obs: ReadonlyArray<Observed<unknown>>): string[] {
  return obs.filter((o) => !(o.pane.timing === 'ON_TIME' && o.pane.isFirst && o.pane.isLast && o.pane.index === 0)).map((o) => `${String(o.window)} ${JSON.stringify(o.pane)}`);
}

test('per-window groupByKey and combine.perKey(sum) equal the reference for every window function and timestamp combiner', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ spec: winSpecArb, tc: tcArb, elems: elemsArb(40), batchA: batchSizeArb, batchB: batchSizeArb, order: sortKeysArb }),
      async ({ spec, tc, elems, batchA, batchB, order }) => {
        const p = Pipeline.create();
        const runs = [
          { es: elems, batch: batchA },
          { es: permute(elems, order), batch: batchB },
        ].map(({ es, batch }) => {
          const windowed = p
            .apply(createTimestamped(es.map((e) => ({ value: kv(e.key, e.value), timestamp: e.ts })), { batchSize: batch }))
            .apply(window.into<KV<string, number>>(windowFnOf(spec), { timestampCombiner: tc }));
          return { grouped: capture(windowed.apply(groupByKey<string, number>())), sums: capture(windowed.apply(combine.perKey(combine.sum()))) };
        });
        await p.run();
        const ref = refGroups(spec, elems);
        const wantGroups = sortedLines(ref.map((g) => groupLine(g.key, g.window.key, g.elems.map((e) => e.value), refOutputTime(tc, g))));
        const wantSums = sortedLines(ref.map((g) => groupLine(g.key, g.window.key, [g.elems.reduce((a, e) => a + e.value, 0)], refOutputTime(tc, g))));
        for (const { grouped, sums } of runs) {
          assert.deepEqual(sortedLines(grouped.map((o) => groupLine(o.value.key, o.window.key, o.value.value, o.timestamp))), wantGroups, 'groupByKey');
          assert.deepEqual(sortedLines(sums.map((o) => groupLine(o.value.key, o.window.key, [o.value.value], o.timestamp))), wantSums, 'combine.perKey(sum)');
          assert.deepEqual(paneProblems([...grouped, ...sums]), [], 'every window fires once, ON_TIME, first and last');
        }
      },
    ),
    fcOptions(),
  );
});
