// Property 5: a per-key running count kept in value state outputs exactly 1..n for each key (and window), whatever the
// bundle sizes, key interleaving, or batch vs streaming delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTimestamped, kv, parDo, Pipeline, state, window, type KV, type Observed, type PCollection } from '../../src/index.ts';
import { batchSizeArb, capture, elemsArb, fcOptions, permute, sortKeysArb, sortedLines, streamOf, streamPlanArb, type Elem } from './support.ts';

type Counted = KV<string, { n: number; value: number }>;

function runningCount(input: PCollection<KV<string, number>>): PCollection<Counted> {
  const counted = input.apply(
    parDo({
      state: { n: state.value<number>() },
      process(e: KV<string, number>, ctx) {
        const n = (ctx.state.n.read() ?? 0) + 1;
        ctx.state.n.write(n);
        ctx.output(kv(e.key, { n, value: e.value }));
      },
    }),
  );
  return counted as PCollection<Counted>;
}

/** Per key (and window), the running counts seen, and whether each input value was output exactly once. */
function check(out: ReadonlyArray<Observed<Counted>>, groups: Map<string, number[]>, what: string) {
  const got = new Map<string, { ns: number[]; values: number[] }>();
  for (const o of out) {
    const g = got.get(`${o.value.key} @${o.window.key}`) ?? { ns: [], values: [] };
    g.ns.push(o.value.value.n);
    g.values.push(o.value.value.value);
    got.set(`${o.value.key} @${o.window.key}`, g);
  }
  assert.deepEqual(sortedLines([...got.keys()]), sortedLines([...groups.keys()]), `${what}: keys and windows`);
  for (const [k, values] of groups) {
    const g = got.get(k)!;
    assert.deepEqual(
      [...g.ns].sort((a, b) => a - b),
      values.map((_, i) => i + 1),
      `${what}: counts of ${k}`,
    );
    assert.deepEqual([...g.values].sort((a, b) => a - b), [...values].sort((a, b) => a - b), `${what}: values of ${k}`);
  }
}

const fixed = (size: number) => (e: Elem) => `${e.ts - (((e.ts % size) + size) % size)}:${e.ts - (((e.ts % size) + size) % size) + size}`;

function groupsOf(elems: readonly Elem[], windowKey: (e: Elem) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of elems) m.set(`${e.key} @${windowKey(e)}`, [...(m.get(`${e.key} @${windowKey(e)}`) ?? []), e.value]);
  return m;
}

test('stateful running count gives 1..n per key and window, any bundling and interleaving (batch)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ elems: elemsArb(60), batchA: batchSizeArb, batchB: batchSizeArb, order: sortKeysArb, size: fc.integer({ min: 1, max: 80 }) }),
      async ({ elems, batchA, batchB, order, size }) => {
        const p = Pipeline.create();
        const read = (es: readonly Elem[], batch: number) => p.apply(createTimestamped(es.map((e) => ({ value: kv(e.key, e.value), timestamp: e.ts })), { batchSize: batch }));
        const a = read(elems, batchA);
        const b = read(permute(elems, order), batchB);
        const globalA = capture(runningCount(a));
        const globalB = capture(runningCount(b));
        const fixedA = capture(runningCount(a.apply(window.into<KV<string, number>>(window.fixed(size)))));
        await p.run();
        check(globalA, groupsOf(elems, () => 'global'), 'global, input order');
        check(globalB, groupsOf(elems, () => 'global'), 'global, permuted');
        check(fixedA, groupsOf(elems, fixed(size)), `fixed(${size})`);
      },
    ),
    fcOptions(),
  );
});

test('stateful running count gives 1..n per key under a TestStream (any order, chunks and watermark moves)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.record({ elems: elemsArb(40), plan: streamPlanArb, size: fc.integer({ min: 1, max: 80 }) }), async ({ elems, plan, size }) => {
      const p = Pipeline.create();
      const input = p.apply(streamOf(elems, plan).stream);
      const global = capture(runningCount(input));
      const windowed = capture(runningCount(input.apply(window.into<KV<string, number>>(window.fixed(size)))));
      await p.run();
      check(global, groupsOf(elems, () => 'global'), 'global');
      check(windowed, groupsOf(elems, fixed(size)), `fixed(${size})`);
    }),
    fcOptions(),
  );
});
