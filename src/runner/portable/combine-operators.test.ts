import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, create, GlobalWindow, IntervalWindow, NO_FIRING, ON_TIME_AND_ONLY_FIRING, Pipeline, type KV, type WindowedValue } from '../../index.ts';
import { combineOperator } from './combine-operators.ts';
import { groupedOnTime } from './batch-panes.ts';
import { TRANSFORM_URNS } from './urns.ts';

type WV = WindowedValue<unknown>;

function sumStep() {
  const p = Pipeline.create();
  p.apply(create([{ k: 'a', n: 1 }])).apply('Sum', combine.perKey((e: { k: string; n: number }) => e.k, combine.sum((e: { k: string; n: number }) => e.n)));
  const node = [...p.graph.nodes.values()].find((n) => n.kind === 'combinePerKey');
  assert.ok(node);
  return { node, graph: p.graph };
}

const g = GlobalWindow.INSTANCE;
const wv = (key: unknown, value: unknown, windows = [g] as WV['windows']): WV => ({ value: { key, value }, timestamp: 0, windows, pane: NO_FIRING });

/** Runs one bundle of `inputs` through the precombine; its outputs. */
async function precombine(node: Parameters<typeof combineOperator>[1], inputs: WV[]): Promise<WV[]> {
  const out: WV[] = [];
  const op = combineOperator(TRANSFORM_URNS.combinePrecombine, node, (x) => void out.push(x));
  op.startBundle?.();
  for (const x of inputs) await op.process(x);
  assert.equal(out.length, 0, 'nothing before the bundle ends');
  await op.finishBundle?.();
  return out;
}

async function extract(node: Parameters<typeof combineOperator>[1], x: WV): Promise<unknown> {
  const out: WV[] = [];
  await combineOperator(TRANSFORM_URNS.combineExtractOutputs, node, (o) => void out.push(o)).process(x);
  return (out[0]!.value as KV<unknown, unknown>).value;
}

test('precombine folds per key (by its canonical form) and window within a bundle, emitting at its end', async () => {
  const { node } = sumStep();
  const w1 = new IntervalWindow(0, 10);
  const out = await precombine(node, [wv('a', { n: 1 }), wv('b', { n: 5 }), wv('a', { n: 2 }), wv('a', { n: 10 }, [w1]), wv({ x: 1, y: 2 }, { n: 3 }), wv({ y: 2, x: 1 }, { n: 4 })]);
  const got: Array<[string, unknown, string]> = [];
  for (const o of out) got.push([JSON.stringify((o.value as KV<unknown, unknown>).key), await extract(node, o), o.windows[0] === w1 ? 'w1' : 'g']);
  assert.deepEqual(got.sort(), [['"a"', 10, 'w1'], ['"a"', 3, 'g'], ['"b"', 5, 'g'], ['{"x":1,"y":2}', 7, 'g']].sort());
  assert.equal(out.find((o) => o.windows[0] === w1)!.timestamp, w1.maxTimestamp);
});

test('merge accumulators of several bundles, extract outputs and combine grouped values use the same combiner', async () => {
  const { node } = sumStep();
  const accs = [...(await precombine(node, [wv('a', { n: 1 }), wv('a', { n: 2 })])), ...(await precombine(node, [wv('a', { n: 39 })]))].map((o) => (o.value as KV<unknown, unknown>).value);
  const merged: WV[] = [];
  await combineOperator(TRANSFORM_URNS.combineMergeAccumulators, node, (x) => void merged.push(x)).process(wv('a', accs));
  assert.equal(await extract(node, merged[0]!), 42);
  const out: WV[] = [];
  await combineOperator(TRANSFORM_URNS.combineGroupedValues, node, (x) => void out.push(x)).process(wv('b', [{ n: 1 }, { n: 2 }]));
  assert.deepEqual(out.map((o) => o.value), [{ key: 'b', value: 3 }]);
  assert.throws(() => combineOperator('beam:transform:pardo:v1', node, () => undefined), /not a part of a combine/);
});

test("grouped collections are the groupings' outputs (and a lifted combine's inner GroupByKey)", () => {
  const { graph } = sumStep();
  const names = groupedOnTime(graph);
  assert.ok([...names.keys()].some((n) => n.endsWith('/GroupByKey.out')));
  assert.equal(names.size, 2);
  // No allowed lateness: the on-time pane is the only one (with late data allowed it would not be the last).
  for (const pane of names.values()) assert.deepEqual(pane, ON_TIME_AND_ONLY_FIRING);
});
