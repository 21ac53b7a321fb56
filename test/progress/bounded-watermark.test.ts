// Event-time progress in bounded sources (issue 13, item 4): a bounded source that reports a watermark as it reads
// (SourceBatch.watermark) lets windows fire and their state go before the end of its input, with the same final
// output as the same source read without progress. Random inputs in roughly time order (disorder bounded by what the
// watermark allows), windows fixed / sliding / sessions / custom, timestamp combiners, triggers with early and late
// firings, allowed lateness, and a second grouping downstream (which sees the first one's output watermark holds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  combine,
  groupByKey,
  IntervalWindow,
  kv,
  Pipeline,
  read,
  trigger,
  window,
  type BoundedSource,
  type KV,
  type Observed,
  type PCollection,
  type SourceBatch,
  type TimestampCombiner,
  type WindowingOptions,
} from '../../src/index.ts';
import { capture, fcOptions, groupLine, isMergingSpec, sortedLines, winSpecArb, windowFnOf, type Elem, type WinSpec } from '../properties/support.ts';

/**
 * A bounded source over elements in the given order, in batches; with `progress`, each batch reports as watermark
 * the lowest timestamp still to come, less `lag` (an honest watermark, possibly behind).
 */
class ProgressSource implements BoundedSource<KV<string, number>> {
  readonly kind = 'bounded' as const;
  constructor(
    private readonly elems: readonly Elem[],
    private readonly batch: number,
    private readonly progress: boolean,
    private readonly lag = 0,
  ) {}
  describe(): string {
    return `progress-test(${this.elems.length})`;
  }
  async estimateSizeBytes(): Promise<number> {
    return this.elems.length * 100;
  }
  async split(): Promise<BoundedSource<KV<string, number>>[]> {
    return [this];
  }
  async *read(): AsyncIterable<SourceBatch<KV<string, number>>> {
    const n = this.elems.length;
    const minFrom = new Array<number>(n + 1).fill(Infinity);
    for (let i = n - 1; i >= 0; i--) minFrom[i] = Math.min(minFrom[i + 1]!, this.elems[i]!.ts);
    for (let i = 0; i < n; i += this.batch) {
      const part = this.elems.slice(i, i + this.batch);
      const next = minFrom[Math.min(n, i + this.batch)]!;
      const b = { values: part.map((e) => kv(e.key, e.value)), timestamps: part.map((e) => e.ts) };
      yield this.progress && Number.isFinite(next) ? { ...b, watermark: next - this.lag } : b;
    }
  }
}

/** Elements with timestamps rising over `span`, each displaced by at most `jitter` (disorder). */
const timedElemsArb = fc
  .record({
    n: fc.integer({ min: 0, max: 60 }),
    jitter: fc.integer({ min: 0, max: 15 }),
    seed: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.integer({ min: -20, max: 20 }), d: fc.integer({ min: 0, max: 100 }), step: fc.integer({ min: 0, max: 6 }) }), { maxLength: 60 }),
  })
  .map(({ jitter, seed }) => {
    let t = -30;
    return seed.map((s) => {
      t += s.step;
      return { key: s.key, value: s.value, ts: t + Math.floor((s.d / 100) * jitter) } as Elem;
    });
  });

type Case = { spec: WinSpec; tc: TimestampCombiner; trig: 'default' | 'early' | 'earlyLate' | 'count'; lateness: number; accumulating: boolean };

const caseArb: fc.Arbitrary<Case> = fc.record({
  spec: winSpecArb,
  tc: fc.constantFrom<TimestampCombiner>('endOfWindow', 'earliest', 'latest'),
  trig: fc.constantFrom<Case['trig']>('default', 'default', 'early', 'earlyLate', 'count'),
  lateness: fc.constantFrom(0, 0, 5, 50),
  accumulating: fc.boolean(),
});

function options(c: Case): WindowingOptions {
  const base: WindowingOptions = { timestampCombiner: c.tc, allowedLateness: c.lateness, accumulation: c.accumulating ? 'accumulating' : 'discarding' };
  switch (c.trig) {
    case 'default':
      return base;
    case 'early':
      return { ...base, trigger: trigger.afterWatermark({ early: trigger.afterCount(2) }) };
    case 'earlyLate':
      return { ...base, trigger: trigger.afterWatermark({ early: trigger.afterCount(3), late: trigger.afterCount(1) }) };
    case 'count':
      return { ...base, trigger: trigger.repeatedly(trigger.afterCount(2)) };
  }
}

interface Outs {
  grouped: Observed<KV<string, number[]>>[];
  sums: Observed<KV<string, number>>[];
  /** A second grouping over the first one's output (its panes' timestamps and the first step's holds matter). */
  totals: Observed<KV<string, number>>[];
}

function build(input: PCollection<KV<string, number>>, c: Case): Outs {
  const windowed = input.apply(window.into<KV<string, number>>(windowFnOf(c.spec), options(c)));
  const sums = windowed.apply('Sums', combine.perKey(combine.sum()));
  const totals = sums
    .map((e) => kv('all', e.value), 'ToAll')
    .apply('Rewindow', window.into<KV<string, number>>(windowFnOf(c.spec), { timestampCombiner: c.tc, allowedLateness: c.lateness }))
    .apply('Totals', combine.perKey(combine.sum()));
  return { grouped: capture(windowed.apply('Grouped', groupByKey<string, number>())), sums: capture(sums), totals: capture(totals) };
}

async function run(elems: readonly Elem[], batch: number, progress: boolean, lag: number, c: Case, progressEvery = 1) {
  const p = Pipeline.create();
  const outs = build(p.apply(read(new ProgressSource(elems, batch, progress, lag))), c);
  // A grouping takes a finite watermark every deferredGroupingElements / 4 elements: here, every `progressEvery`.
  const result = await p.run({ deferredGroupingElements: progressEvery * 4 });
  const dropped = Object.entries(result.metrics.counters ?? {}).filter(([k, v]) => k.endsWith('droppedDueToLateness') && Number(v) > 0);
  return { outs, dropped };
}

/**
 * What must be the same. With watermark-only triggers: every pane, its timestamp and its window. With data-driven
 * triggers the pane boundaries depend on how input is bundled (as batch vs streaming), so what is compared is the
 * final content per key and window: the values summed over panes (discarding) or of the last pane (accumulating).
 */
function finals(o: Outs, c: Case) {
  if (c.trig === 'default') {
    return {
      grouped: sortedLines(o.grouped.map((x) => groupLine(x.value.key, x.window.key, x.value.value, x.timestamp))),
      sums: sortedLines(o.sums.map((x) => `${x.value.key} @${x.window.key} ${x.value.value} t=${x.timestamp} ${x.pane.timing}`)),
      totals: sortedLines(o.totals.map((x) => `@${x.window.key} ${x.value.value} t=${x.timestamp}`)),
    };
  }
  // Under a merging window function a data-driven trigger may fire a session before it merges with a later one
  // (as in any stream), so panes are compared per key: discarding, the values over all panes; accumulating, the last
  // pane of each window no other output window of the key contains.
  const merging = isMergingSpec(c.spec);
  const span = (w: string) => w.split(':').map(Number) as [number, number];
  const inside = (a: string, b: string) => a !== b && span(b)[0] <= span(a)[0] && span(a)[1] <= span(b)[1];
  const last = new Map<string, Observed<KV<string, number[]>>>();
  const all = new Map<string, number[]>();
  for (const x of o.grouped) {
    const k = merging && !c.accumulating ? x.value.key : `${x.value.key} @${x.window.key}`;
    all.set(k, [...(all.get(k) ?? []), ...x.value.value]);
    const prev = last.get(k);
    if (prev === undefined || prev.pane.index < x.pane.index) last.set(k, x);
  }
  const line = (k: string, v: readonly number[]) => `${k} [${[...v].sort((a, b) => a - b).join(',')}]`;
  if (!c.accumulating) return { grouped: sortedLines([...all].map(([k, v]) => line(k, v))) };
  const lasts = [...last.values()].filter((x) => !merging || ![...last.values()].some((y) => y.value.key === x.value.key && inside(x.window.key, y.window.key)));
  return { grouped: sortedLines(lasts.map((x) => line(`${x.value.key} @${x.window.key}`, x.value.value))) };
}

test('a bounded source reporting its watermark gives the same final output as without', async () => {
  await fc.assert(
    fc.asyncProperty(timedElemsArb, caseArb, fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 0, 3), fc.constantFrom(1, 1, 5), async (elems, c, batch, lag, every) => {
      const without = await run(elems, batch, false, lag, c, every);
      const withProgress = await run(elems, batch, true, lag, c, every);
      assert.deepEqual(withProgress.dropped, [], 'an honest watermark makes nothing late');
      assert.deepEqual(finals(withProgress.outs, c), finals(without.outs, c), `${JSON.stringify(c)}`);
    }),
    fcOptions(Math.min(150, Number(process.env.RIFFLE_PROPERTY_RUNS ?? 150))),
  );
});

test('with progress, merging windows also close while reading (sessions, custom merging)', async () => {
  // The same as above, weighted to merging windows and the default trigger (the batch table's merging path).
  const mergingCase = caseArb.filter((c) => isMergingSpec(c.spec)).map((c) => ({ ...c, trig: 'default' as const }));
  await fc.assert(
    fc.asyncProperty(timedElemsArb, mergingCase, fc.integer({ min: 1, max: 9 }), async (elems, c, batch) => {
      const without = await run(elems, batch, false, 0, c);
      const withProgress = await run(elems, batch, true, 0, c);
      assert.deepEqual(finals(withProgress.outs, c), finals(without.outs, c), `${JSON.stringify(c)}`);
    }),
    fcOptions(60),
  );
});

test('a merging window function that merges windows that do not intersect keeps them until the end', async () => {
  // Every window of a key merges into the key's latest-starting window, intersecting or not (as Nexmark's bid windows
  // merge into a later auction's): a window behind the watermark may still merge, so it must not close early.
  const intoLatest = window.custom<KV<string, number>>({
    name: 'into-latest',
    assign: (t) => [new IntervalWindow(t, t + 5)],
    merge: (ws) => {
      const sorted = [...ws].sort((a, b) => (a as IntervalWindow).start - (b as IntervalWindow).start);
      return sorted.length < 2 ? [] : [{ toMerge: sorted, result: sorted.at(-1)! }];
    },
  });
  const elems: Elem[] = [
    { key: 'a', value: 1, ts: 0 },
    { key: 'a', value: 2, ts: 50 },
    { key: 'b', value: 3, ts: 60 },
    { key: 'a', value: 4, ts: 100 },
  ];
  const runOnce = async (progress: boolean) => {
    const p = Pipeline.create();
    const out = capture(p.apply(read(new ProgressSource(elems, 1, progress))).apply(window.into<KV<string, number>>(intoLatest)).apply(groupByKey<string, number>()));
    await p.run({ deferredGroupingElements: 4 });
    return sortedLines(out.map((x) => groupLine(x.value.key, x.window.key, x.value.value, x.timestamp)));
  };
  const without = await runOnce(false);
  assert.deepEqual(without, ['a @100:105 [1,2,4] t=104', 'b @60:65 [3] t=64']);
  assert.deepEqual(await runOnce(true), without);
});
