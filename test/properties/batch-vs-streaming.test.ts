// Property 2 (DESIGN.md principle 1, "one semantics"): the same pipeline fed by a bounded source (batch) and by a
// TestStream that delivers the same elements in any order and chunks, with watermark moves that never pass an
// undelivered element, gives the same final result: with the default trigger, and (ON_TIME panes) with an
// accumulating afterWatermark trigger with early firings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  combine,
  createTimestamped,
  groupByKey,
  kv,
  Pipeline,
  trigger,
  window,
  type KV,
  type Observed,
  type PCollection,
  type TimestampCombiner,
  type WindowingOptions,
} from '../../src/index.ts';
import {
  batchSizeArb,
  capture,
  elemsArb,
  fcOptions,
  groupLine,
  isMergingSpec,
  refGroups,
  refOutputTime,
  sortedLines,
  streamOf,
  streamPlanArb,
  winSpecArb,
  windowFnOf,
  type Elem,
  type StreamPlan,
  type WinSpec,
} from './support.ts';

type Outputs = { grouped: Observed<KV<string, number[]>>[]; sums: Observed<KV<string, number>>[] };

function build(input: PCollection<KV<string, number>>, spec: WinSpec, opts: WindowingOptions): Outputs {
  const windowed = input.apply(window.into<KV<string, number>>(windowFnOf(spec), opts));
  return { grouped: capture(windowed.apply(groupByKey<string, number>())), sums: capture(windowed.apply(combine.perKey(combine.sum()))) };
}

async function runBoth(elems: readonly Elem[], batch: number, plan: StreamPlan, spec: WinSpec, opts: WindowingOptions) {
  const pb = Pipeline.create();
  const batchOut = build(pb.apply(createTimestamped(elems.map((e) => ({ value: kv(e.key, e.value), timestamp: e.ts })), { batchSize: batch })), spec, opts);
  await pb.run();
  const ps = Pipeline.create();
  const { stream, transcript } = streamOf(elems, plan);
  const streamOut = build(ps.apply(stream), spec, opts);
  await ps.run();
  return { batchOut, streamOut, transcript };
}

const lines = (o: Outputs, withTimestamps = true) => ({
  grouped: sortedLines(o.grouped.map((x) => groupLine(x.value.key, x.window.key, x.value.value, withTimestamps ? x.timestamp : undefined))),
  sums: sortedLines(o.sums.map((x) => groupLine(x.value.key, x.window.key, [x.value.value], withTimestamps ? x.timestamp : undefined))),
});

const caseArb = fc.record({
  spec: winSpecArb,
  tc: fc.constantFrom<TimestampCombiner>('endOfWindow', 'earliest', 'latest'),
  elems: elemsArb(30),
  batch: batchSizeArb,
  plan: streamPlanArb,
});

test('batch = streaming with the default trigger (all outputs, timestamps and panes)', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ spec, tc, elems, batch, plan }) => {
      const { batchOut, streamOut, transcript } = await runBoth(elems, batch, plan, spec, { timestampCombiner: tc });
      const b = lines(batchOut);
      const s = lines(streamOut);
      const msg = `stream:\n  ${transcript.join('\n  ')}`;
      assert.deepEqual(s.grouped, b.grouped, `groupByKey, ${msg}`);
      assert.deepEqual(s.sums, b.sums, `combine.perKey, ${msg}`);
      const ref = refGroups(spec, elems);
      assert.deepEqual(b.grouped, sortedLines(ref.map((g) => groupLine(g.key, g.window.key, g.elems.map((e) => e.value), refOutputTime(tc, g)))), 'batch vs reference');
      const panes = (o: Outputs) => sortedLines([...o.grouped, ...o.sums].map((x) => `${x.window.key} ${x.pane.timing} ${x.pane.index} ${x.pane.isFirst} ${x.pane.isLast}`));
      assert.deepEqual(panes(streamOut), panes(batchOut), `panes, ${msg}`);
    }),
    fcOptions(),
  );
});

test('batch = streaming for the ON_TIME panes of an accumulating afterWatermark(early: afterCount(n)) trigger', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 4 }), async ({ spec, elems, batch, plan }, n) => {
      const opts: WindowingOptions = { trigger: trigger.afterWatermark({ early: trigger.afterCount(n) }), accumulation: 'accumulating' };
      const { batchOut, streamOut, transcript } = await runBoth(elems, batch, plan, spec, opts);
      const onTime = (o: Outputs): Outputs => ({ grouped: o.grouped.filter((x) => x.pane.timing === 'ON_TIME'), sums: o.sums.filter((x) => x.pane.timing === 'ON_TIME') });
      const final = (o: Outputs): Outputs => ({ grouped: o.grouped.filter((x) => x.pane.isLast), sums: o.sums.filter((x) => x.pane.isLast) });
      const msg = `stream:\n  ${transcript.join('\n  ')}`;
      const ref = refGroups(spec, elems);
      // Accumulating, nothing late: the ON_TIME pane of each window holds all of the window's elements, and is its last.
      const want = sortedLines(ref.map((g) => groupLine(g.key, g.window.key, g.elems.map((e) => e.value))));
      for (const [name, out] of [['batch', batchOut], ['streaming', streamOut]] as const) {
        assert.deepEqual(lines(onTime(out), false).grouped, want, `${name} ON_TIME panes vs reference, ${msg}`);
        assert.deepEqual(lines(final(out), false).grouped, want, `${name} final panes vs reference, ${msg}`);
      }
      assert.deepEqual(lines(onTime(streamOut), false).sums, lines(onTime(batchOut), false).sums, `ON_TIME sums, ${msg}`);
      if (!isMergingSpec(spec)) {
        // Every early pane is a prefix of its window: accumulating panes only grow.
        for (const out of [batchOut, streamOut]) {
          const full = new Map(ref.map((g) => [`${g.key} ${g.window.key}`, g.elems.map((e) => e.value)]));
          for (const x of out.grouped.filter((o) => o.pane.timing === 'EARLY')) {
            const all = [...(full.get(`${x.value.key} ${x.window.key}`) ?? [])];
            for (const v of x.value.value) {
              const i = all.indexOf(v);
              assert.ok(i >= 0, `early pane ${x.value.key} ${x.window.key} [${x.value.value.join(',')}] has values not in the window, ${msg}`);
              all.splice(i, 1);
            }
          }
        }
      }
    }),
    fcOptions(),
  );
});

test('discarding early panes: per key and window, the panes partition the window (batch and streaming, non-merging windows)', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 4 }), async ({ spec, elems, batch, plan }, n) => {
      fc.pre(!isMergingSpec(spec));
      const opts: WindowingOptions = { trigger: trigger.afterWatermark({ early: trigger.afterCount(n) }), accumulation: 'discarding' };
      const { batchOut, streamOut, transcript } = await runBoth(elems, batch, plan, spec, opts);
      const msg = `stream:\n  ${transcript.join('\n  ')}`;
      const ref = refGroups(spec, elems);
      const want = sortedLines(ref.map((g) => groupLine(g.key, g.window.key, g.elems.map((e) => e.value))));
      const wantSums = sortedLines(ref.map((g) => groupLine(g.key, g.window.key, [g.elems.reduce((a, e) => a + e.value, 0)])));
      for (const [name, out] of [['batch', batchOut], ['streaming', streamOut]] as const) {
        const union = new Map<string, { key: string; w: string; vs: number[] }>();
        for (const x of out.grouped) {
          const u = union.get(`${x.value.key} ${x.window.key}`) ?? { key: x.value.key, w: x.window.key, vs: [] };
          u.vs.push(...x.value.value);
          union.set(`${x.value.key} ${x.window.key}`, u);
        }
        assert.deepEqual(sortedLines([...union.values()].map((u) => groupLine(u.key, u.w, u.vs))), want, `${name}: union of panes vs reference, ${msg}`);
        const sums = new Map<string, { key: string; w: string; s: number }>();
        for (const x of out.sums) {
          const u = sums.get(`${x.value.key} ${x.window.key}`) ?? { key: x.value.key, w: x.window.key, s: 0 };
          u.s += x.value.value;
          sums.set(`${x.value.key} ${x.window.key}`, u);
        }
        assert.deepEqual(sortedLines([...sums.values()].map((u) => groupLine(u.key, u.w, [u.s]))), wantSums, `${name}: sum of pane sums vs reference, ${msg}`);
        for (const x of out.grouped) assert.ok(x.value.value.length > 0 || x.pane.timing === 'ON_TIME', `${name}: only the ON_TIME pane may be empty`);
      }
    }),
    fcOptions(),
  );
});

test('batch = streaming for two chained groupings (output timestamps re-windowed downstream; watermark holds keep them on time)', async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 100 }), async ({ spec, tc, elems, batch, plan }, size2) => {
      const build2 = (input: PCollection<KV<string, number>>) => {
        const sums = input.apply(window.into<KV<string, number>>(windowFnOf(spec), { timestampCombiner: tc })).apply(combine.perKey(combine.sum()));
        const second = sums.apply(window.into<KV<string, number>>(window.fixed(size2))).apply(groupByKey<string, number>());
        return capture(second);
      };
      const pb = Pipeline.create();
      const b = build2(pb.apply(createTimestamped(elems.map((e) => ({ value: kv(e.key, e.value), timestamp: e.ts })), { batchSize: batch })));
      const rb = await pb.run();
      const ps = Pipeline.create();
      const { stream, transcript } = streamOf(elems, plan);
      const s = build2(ps.apply(stream));
      const rs = await ps.run();
      const show = (obs: typeof b) => sortedLines(obs.map((x) => `${groupLine(x.value.key, x.window.key, x.value.value, x.timestamp)} ${x.pane.timing}`));
      const dropped = (r: typeof rb) => Object.entries(r.metrics.counters).filter(([k, v]) => k.endsWith('droppedDueToLateness') && v > 0);
      const msg = `stream:\n  ${transcript.join('\n  ')}`;
      assert.deepEqual(dropped(rs), [], `streaming dropped elements, ${msg}`);
      assert.deepEqual(dropped(rb), [], 'batch dropped elements');
      assert.deepEqual(show(s), show(b), msg);
    }),
    fcOptions(),
  );
});
