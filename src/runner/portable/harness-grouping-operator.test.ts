import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coders,
  combine,
  createTimestamped,
  decodeFromBytes,
  encodeToBytes,
  groupByKey,
  IntervalWindow,
  kv,
  LocalRunner,
  parDo,
  Pipeline,
  read,
  trigger,
  window,
  type BoundedWindow,
  type Coder,
  type KV,
  type PaneInfo,
  type SourceBatch,
  type UnboundedSource,
  type WindowedValue,
  type WindowMerge,
} from '../../index.ts';
import { groupAlsoByWindowOperator, reifyWindowsOperator } from './harness-grouping-operator.ts';
import { translatePipeline, UntranslatableError } from './index.ts';
import { TRANSFORM_URNS } from './urns.ts';

type WV = WindowedValue<unknown>;

/** A window with a tag; windows of one tag merge whether or not they intersect (not an interval merge). */
class TaggedWindow extends IntervalWindow {
  constructor(
    start: number,
    end: number,
    readonly tag: number,
  ) {
    super(start, end);
  }
  override get key(): string {
    return `${this.start}:${this.end}:${this.tag}`;
  }
}
const interval = coders.intervalWindow();
const taggedCoder: Coder<BoundedWindow> = {
  name: 'test-tagged-window',
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
const tagged = () =>
  window.custom<KV<string, number>>({
    name: 'test-tagged',
    windowCoder: taggedCoder,
    assign: (t, e) => [new TaggedWindow(t, t + 10, e.value % 3)],
    merge(windows): WindowMerge[] {
      const byTag = new Map<number, TaggedWindow[]>();
      for (const w of windows as TaggedWindow[]) byTag.set(w.tag, [...(byTag.get(w.tag) ?? []), w]);
      const merges: WindowMerge[] = [];
      for (const [tag, ws] of byTag) {
        if (ws.length < 2) continue;
        merges.push({ toMerge: ws, result: new TaggedWindow(Math.min(...ws.map((w) => w.start)), Math.max(...ws.map((w) => w.end)), tag) });
      }
      return merges;
    },
  });

const line = (step: string, value: unknown, window: BoundedWindow, pane: PaneInfo, timestamp: number) => {
  const v = value as KV<string, unknown>;
  const shown = Array.isArray(v.value) ? [...(v.value as number[])].sort((a, b) => a - b) : v.value;
  return `${step} ${v.key}=${JSON.stringify(shown)} @${window.key} ${pane.timing}/${pane.index}/${pane.isLast ? 'last' : 'more'} ${timestamp}`;
};

/** The groupings: a custom merging window fn (default trigger; with early firings and lateness, a combine), and a count trigger. */
function build(p: Pipeline, out: string[]): Pipeline {
  const elements = Array.from({ length: 40 }, (_, i) => ({ value: kv(`k${i % 3}`, i), timestamp: 1000 + i * 7 }));
  const input = p.apply('Create', createTimestamped(elements));
  const print = (step: string) => parDo<unknown, never>({ process: (v, ctx) => void out.push(line(step, v, ctx.window, ctx.pane, ctx.timestamp)) });
  input.apply('Tagged', window.into(tagged())).apply('GroupTagged', groupByKey()).apply('OutTagged', print('GroupTagged'));
  input
    .apply('TaggedEarly', window.into(tagged(), { trigger: trigger.afterWatermark({ early: trigger.afterCount(3) }), accumulation: 'accumulating', allowedLateness: 1000 }))
    .apply('SumTagged', combine.perKey(combine.sum()))
    .apply('OutSum', print('SumTagged'));
  input
    .apply('Counted', window.into(window.fixed(50), { trigger: trigger.repeatedly(trigger.afterCount(2)), accumulation: 'discarding' }))
    .apply('GroupCounted', groupByKey())
    .apply('OutCounted', print('GroupCounted'));
  return p;
}

test('a grouping windowed in the harness (ReifyWindows, the runner grouping by key, GroupAlsoByWindow) emits the embedded engine panes', async () => {
  const embedded: string[] = [];
  const p = build(Pipeline.create(), embedded);
  await new LocalRunner().run(p.graph, { workers: 1, log: () => {} });

  const harness: string[] = [];
  const elements = Array.from({ length: 40 }, (_, i) => ({ value: kv(`k${i % 3}`, i), timestamp: 1000 + i * 7 }));
  for (const node of p.graph.nodes.values()) {
    if (node.kind !== 'groupByKey' && node.kind !== 'combinePerKey') continue;
    const strategy = p.graph.collections.get(node.inputs[0]!)!.windowing;
    // ReifyWindows, then each element through the wire (the windowed value coder with the window coder), as on Flink.
    const wire = coders.windowedValue(coders.object(), strategy.windowFn.windowCoder ?? coders.intervalWindow());
    const byKey = new Map<string, WV[]>();
    const reify = reifyWindowsOperator((wv) => {
      const { key, value } = wv.value as KV<string, WV>;
      byKey.set(key, [...(byKey.get(key) ?? []), decodeFromBytes(wire, encodeToBytes(wire, value)) as WV]);
    });
    for (const e of elements) await reify.process({ value: e.value, timestamp: e.timestamp, windows: strategy.windowFn.assignWindows(e.timestamp, e.value), pane: { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 } });
    const gabw = groupAlsoByWindowOperator(node, strategy, (wv) => void harness.push(line(node.name, wv.value, wv.windows[0]!, wv.pane, wv.timestamp)));
    for (const [key, values] of byKey) await gabw.process({ value: { key, value: values }, timestamp: 0, windows: [], pane: { isFirst: true, isLast: true, timing: 'UNKNOWN', index: 0, nonSpeculativeIndex: 0 } });
  }
  assert.ok(embedded.some((l) => / EARLY\//.test(l)), 'the early trigger fired');
  assert.ok(embedded.some((l) => l.startsWith('SumTagged') && / ON_TIME\/1\//.test(l)), 'an on-time pane followed an early one');
  assert.ok(embedded.some((l) => l.startsWith('GroupTagged') && /\[(\d+,){3,}/.test(l)), 'tagged windows merged');
  assert.deepEqual(harness.sort(), embedded.sort());
});

test('unbounded input: a custom merging window function is refused naming the step; a trigger stays the runner\'s (Flink streaming runs it)', () => {
  const source: UnboundedSource<KV<string, number>, number> = {
    kind: 'unbounded',
    describe: () => 'none',
    open: async () => ({ next: async (): Promise<SourceBatch<KV<string, number>> | null> => null, position: () => 0, watermark: () => 0, close: async () => undefined }),
  };
  const opts = { pipeline: { module: 'p.ts', params: {} }, environment: { kind: 'external' as const, url: '127.0.0.1:1' } };
  const p = Pipeline.create();
  p.apply('Read', read(source)).apply('Tagged', window.into(tagged())).apply('GroupTagged', groupByKey());
  assert.throws(() => translatePipeline(p.graph, opts), (e: unknown) => e instanceof UntranslatableError && e.step === 'GroupTagged' && /unbounded/.test(e.message));
  const q = Pipeline.create();
  q.apply('Read', read(source))
    .apply('Counted', window.into(window.fixed(50), { trigger: trigger.repeatedly(trigger.afterCount(2)), accumulation: 'discarding' }))
    .apply('GroupCounted', groupByKey());
  const t = translatePipeline(q.graph, opts).pipeline.components!.transforms;
  assert.ok(Object.values(t).some((x) => x.uniqueName === 'GroupCounted' && x.spec?.urn === TRANSFORM_URNS.groupByKey));
  assert.ok(!Object.values(t).some((x) => x.uniqueName.endsWith('/GroupAlsoByWindow')));
});
