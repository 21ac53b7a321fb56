// Property 4: with a TestStream that moves the watermark past some windows' end + allowedLateness and then sends
// elements into them, the step's droppedDueToLateness counter equals the number of (element, window) pairs whose
// window has expired (maxTimestamp + allowedLateness < watermark, as Beam's LateDataDroppingDoFnRunner), no output
// contains them, and every other element is in some pane (on time, or late within the allowed lateness).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { combine, groupByKey, kv, Pipeline, testStream, trigger, window, type KV, type TimestampCombiner } from '../../src/index.ts';
import { capture, fcOptions, refGroups, sortedLines, windowFnOf, type Elem, type WinSpec } from './support.ts';

const nonMergingSpecArb: fc.Arbitrary<WinSpec> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).chain((size) => fc.integer({ min: 0, max: size - 1 }).map((offset): WinSpec => ({ kind: 'fixed', size, offset }))),
  fc
    .record({ period: fc.integer({ min: 1, max: 20 }), mult: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 5 }) })
    .chain(({ period, mult, extra }) => fc.integer({ min: 0, max: period - 1 }).map((offset): WinSpec => ({ kind: 'sliding', size: period * mult + extra, period, offset }))),
);

const tsArb = fc.integer({ min: 0, max: 200 });
const phaseArb = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), ts: tsArb }), { maxLength: 15 });

const stats = { runs: 0, withDrops: 0 };

test('late elements beyond the allowed lateness are counted as dropped and appear in no pane', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        spec: nonMergingSpecArb,
        lateness: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
        tc: fc.constantFrom<TimestampCombiner>('endOfWindow', 'earliest', 'latest'),
        onTime: phaseArb,
        late: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), ts: tsArb, wmAfter: fc.option(fc.integer({ min: 0, max: 40 })) }), { minLength: 1, maxLength: 15 }),
        wm: fc.integer({ min: 0, max: 260 }),
      }),
      async ({ spec, lateness, tc, onTime, late, wm }) => {
        // Unique values identify elements: on-time ones first, then the (possibly late) ones.
        const first: Elem[] = [...onTime].sort((a, b) => a.ts - b.ts).map((e, i) => ({ key: e.key, ts: e.ts, value: i }));
        let stream = testStream<KV<string, number>>();
        for (const e of first) stream = stream.addElements({ value: kv(e.key, e.value), timestamp: e.ts });
        stream = stream.advanceWatermarkTo(wm);
        let watermark = wm;
        const second: Array<Elem & { watermark: number }> = [];
        late.forEach((e, i) => {
          const el = { key: e.key, ts: e.ts, value: 1000 + i, watermark };
          second.push(el);
          stream = stream.addElements({ value: kv(el.key, el.value), timestamp: el.ts });
          if (e.wmAfter !== null && e.wmAfter > 0) {
            watermark += e.wmAfter;
            stream = stream.advanceWatermarkTo(watermark);
          }
        });
        const p = Pipeline.create();
        const source = p.apply(stream.advanceWatermarkToInfinity());
        const windowed = source.apply(window.into<KV<string, number>>(windowFnOf(spec), { allowedLateness: lateness, timestampCombiner: tc }));
        const grouped = capture(windowed.apply('Group', groupByKey<string, number>()));
        const counts = capture(windowed.apply('Count', combine.perKey(combine.count())));
        const acc = capture(
          source
            .apply(
              window.into<KV<string, number>>(windowFnOf(spec), {
                allowedLateness: lateness,
                timestampCombiner: tc,
                trigger: trigger.afterWatermark({ late: trigger.afterCount(1) }),
                accumulation: 'accumulating',
              }),
            )
            .apply('Acc', groupByKey<string, number>()),
        );
        const result = await p.run();

        // Reference: per (element, window), dropped iff the window expired when the element arrived.
        let dropped = 0;
        const keptPairs: string[] = [];
        for (const e of second) {
          for (const g of refGroups(spec, [e])) {
            if (g.window.maxTimestamp + lateness < e.watermark) dropped++;
            else keptPairs.push(`${e.key} @${g.window.key} ${e.value}`);
          }
        }
        for (const g of refGroups(spec, first)) for (const e of g.elems) keptPairs.push(`${e.key} @${g.window.key} ${e.value}`);
        const ctx = `watermark ${wm}, late arrivals: ${second.map((e) => `${e.key}@${e.ts} (wm ${e.watermark})`).join(', ')}`;
        assert.equal(result.metrics.counters['Group/droppedDueToLateness'] ?? 0, dropped, `Group dropped count, ${ctx}`);
        assert.equal(result.metrics.counters['Count/droppedDueToLateness'] ?? 0, dropped, `Count dropped count, ${ctx}`);
        // Default trigger, discarding: the panes of a key and window partition its kept elements.
        const seen = grouped.flatMap((o) => o.value.value.map((v) => `${o.value.key} @${o.window.key} ${v}`));
        assert.deepEqual(sortedLines(seen), sortedLines(keptPairs), `grouped elements, ${ctx}`);
        const countOf = new Map<string, number>();
        for (const o of counts) countOf.set(`${o.value.key} @${o.window.key}`, (countOf.get(`${o.value.key} @${o.window.key}`) ?? 0) + o.value.value);
        const wantCount = new Map<string, number>();
        for (const k of keptPairs.map((s) => s.slice(0, s.lastIndexOf(' ')))) wantCount.set(k, (wantCount.get(k) ?? 0) + 1);
        assert.deepEqual(sortedLines([...countOf].filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`)), sortedLines([...wantCount].map(([k, n]) => `${k}=${n}`)), `counts, ${ctx}`);
        // Accumulating with a late firing per element: per key and window, pane indices are 0..m, and the latest pane
        // holds every kept element.
        assert.equal(result.metrics.counters['Acc/droppedDueToLateness'] ?? 0, dropped, `Acc dropped count, ${ctx}`);
        const latest = new Map<string, (typeof acc)[number]>();
        const indices = new Map<string, number[]>();
        for (const o of acc) {
          const k = `${o.value.key} @${o.window.key}`;
          indices.set(k, [...(indices.get(k) ?? []), o.pane.index]);
          if ((latest.get(k)?.pane.index ?? -1) < o.pane.index) latest.set(k, o);
        }
        for (const [k, is] of indices) assert.deepEqual([...is].sort((a, b) => a - b), is.map((_, i) => i), `Acc pane indices of ${k}, ${ctx}`);
        assert.deepEqual(
          sortedLines([...latest.values()].flatMap((o) => o.value.value.map((v) => `${o.value.key} @${o.window.key} ${v}`))),
          sortedLines(keptPairs),
          `Acc latest panes, ${ctx}`,
        );
        stats.runs++;
        if (dropped > 0) stats.withDrops++;
      },
    ),
    fcOptions(),
  );
  // The generator must actually produce late data that is dropped (not only on-time or allowed-late data).
  assert.ok(stats.withDrops >= stats.runs / 5, `only ${stats.withDrops} of ${stats.runs} runs dropped anything`);
});
