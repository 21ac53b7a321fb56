// Bounded memory (issue 13, item 3): a bounded grouping past the job's memory budget spills its input, encoded, and
// merges it back at the end: the same output as in memory, with the spill in the run's metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coders, combine, create, groupByKey, kv, map, Pipeline, trigger as triggers, windowFns, windowInto, parDo, withTimestamps, type KV, type PipelineResult } from '../../src/index.ts';
import { LocalRunner } from '../../src/runner/index.ts';

interface Ev {
  id: number;
  user: string;
  price: number;
  tags: string[];
}

const events: Ev[] = Array.from({ length: 40_000 }, (_, i) => ({ id: i, user: `u${(i * 7919) % 1013}`, price: (i % 97) + 0.5, tags: i % 3 === 0 ? ['a', 'b'] : [] }));

async function run(kind: 'group' | 'sum' | 'fixed' | 'sessions' | 'sessionSum' | 'coded' | 'classes', memoryBytes?: number): Promise<{ out: string[]; result: PipelineResult; warnings: string[] }> {
  const out: string[] = [];
  const p = Pipeline.create();
  // Sessions: a user's events are 1013 ids apart (7919 is prime to 1013), at 1–5 ms per id; a gap of 5 s merges
  // them into ~13,000 sessions of varied length (a merged session often spans input that was spilled and input that
  // was not).
  const windowFn = kind === 'fixed' ? windowFns.fixed(1000) : kind.startsWith('session') ? windowFns.sessions(5000) : windowFns.global();
  const src = p.apply(create(events, { batchSize: 500 })).apply(withTimestamps((e: Ev) => e.id * ((e.id % 5) + 1))).apply(windowInto(windowFn));
  if (kind === 'sessionSum') {
    src.apply(map((e: Ev) => kv(e.user, e.price))).apply(combine.perKey(combine.sum((x: number) => x))).apply(parDo({ process: (s: KV<string, number>, ctx) => void out.push(`${s.key} ${s.value} ${ctx.window.key} ${ctx.timestamp}`) }));
  } else if (kind === 'sessions') {
    src.apply(map((e: Ev) => kv(e.user, e))).apply(groupByKey()).apply(parDo({ process: (g: KV<string, Iterable<Ev>>, ctx) => void out.push(`${g.key} ${ctx.window.key} ${ctx.timestamp} ${[...g.value].map((e) => e.id).sort((a, b) => a - b).join(',')}`) }));
  } else if (kind === 'sum') {
    src.apply(map((e: Ev) => kv(e.user, e.price))).apply(combine.perKey(combine.sum((x: number) => x))).apply(map((s) => out.push(`${s.key} ${s.value}`)));
  } else if (kind === 'classes') {
    class Box {
      constructor(readonly e: Ev) {}
    }
    src.apply(map((e: Ev) => kv(e.user, new Box(e)))).apply(groupByKey()).apply(map((g) => out.push(`${g.key} ${[...g.value].map((b) => b.e.id).sort((a, b) => a - b).join(',')}`)));
  } else {
    let keyed = src.apply(map((e: Ev) => kv({ user: e.user, odd: e.id % 2 === 1 }, e)));
    if (kind === 'coded') keyed = keyed.withCoder(coders.kv(coders.object({ canonical: true }), coders.object({ fields: { id: 'int', user: 'string', price: 'number', tags: coders.list(coders.string()) } })) as never);
    // A declared canonical key coder decodes keys with their fields sorted: compare keys by their fields there.
    const show = (k: { user: string; odd: boolean }) => (kind === 'coded' ? `${k.user}|${k.odd}` : JSON.stringify(k));
    keyed.apply(groupByKey()).apply(map((g) => out.push(`${show(g.key)} ${[...g.value].map((e) => `${e.id}:${e.price}:${e.tags.join('')}`).sort().join(',')}`)));
  }
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => void warnings.push(m);
  try {
    const result = await p.run({ runner: new LocalRunner(), ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
    return { out: out.sort(), result, warnings };
  } finally {
    console.warn = warn;
  }
}

for (const kind of ['group', 'sum', 'fixed', 'sessions', 'sessionSum', 'coded'] as const) {
  test(`a bounded grouping (${kind}) past a small memory budget spills and gives the in-memory output`, async () => {
    const reference = await run(kind);
    assert.equal(reference.result.metrics.memory?.bytesSpilled, 0, 'with memory to spare nothing is spilled');
    const small = await run(kind, 256 * 1024);
    assert.deepEqual(small.out, reference.out);
    const m = small.result.metrics.memory!;
    if (kind !== 'sum' && kind !== 'sessionSum') {
      assert.ok(m.bytesSpilled > 0 && m.runsWritten > 1, JSON.stringify(m));
      const step = Object.values(m.steps).find((s) => s.bytesSpilled > 0);
      assert.ok(step !== undefined, 'the grouping step reports its spill');
    }
    assert.equal(m.limit, 256 * 1024);
    assert.equal(m.bytesInMemory, 0, 'everything is released at the end: ' + JSON.stringify(m));
    assert.deepEqual(small.warnings, []);
  });
}

test('a grouping whose values the coders refuse (class instances) stays in memory, with a warning naming the step; data unchanged', async () => {
  const reference = await run('classes');
  const small = await run('classes', 64 * 1024);
  assert.deepEqual(small.out, reference.out);
  assert.equal(small.warnings.length, 1, small.warnings.join('\n'));
  assert.match(small.warnings[0]!, /step '.*groupByKey.*' is past its memory budget but keeps its data in memory: .*Box/i);
});

test('a deferred grouping (data-driven trigger) past its share of the memory budget hands its input to the reducer early: same totals, bounded', async () => {
  const go = async (memoryBytes?: number) => {
    const last = new Map<string, number>();
    let panes = 0;
    const p = Pipeline.create();
    p.apply(create(events, { batchSize: 500 }))
      .apply(withTimestamps((e: Ev) => e.id))
      .apply(windowInto(windowFns.global(), { trigger: triggers.repeatedly(triggers.afterCount(1)), accumulation: 'accumulating' }))
      .apply(map((e: Ev) => kv(e.user, e.price)))
      .apply(combine.perKey(combine.sum((x: number) => x)))
      .apply(parDo({ process: (s: KV<string, number>) => void (panes++, last.set(s.key, Math.max(last.get(s.key) ?? 0, s.value))) }));
    const result = await p.run({ runner: new LocalRunner(), ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
    return { totals: [...last].sort(), panes, result };
  };
  const reference = await go();
  const small = await go(64 * 1024);
  // Accumulating panes: each key's largest pane is its total, however the input was handed over.
  assert.deepEqual(small.totals, reference.totals);
  // In memory, one hand-over at the end: per key its pane, and the final pane at the window's garbage collection
  // (accumulating mode keeps the state non-empty, and Beam fires a closing pane then). Under the small budget the
  // input is handed over many times, each a pane per key it holds.
  assert.equal(reference.panes, 2 * reference.totals.length);
  assert.ok(small.panes > 4 * small.totals.length, `${small.panes} panes for ${small.totals.length} keys`);
  const m = small.result.metrics.memory!;
  // Every share stays within the budget and one reservation chunk (64 KiB); the deferred input's share is empty at the end.
  for (const [step, figures] of Object.entries(m.steps)) assert.ok(figures.peakBytesInMemory <= 64 * 1024 + (64 << 10), `${step}: ${JSON.stringify(figures)}`);
  assert.equal(m.steps['CombinePerKey']?.bytesInMemory, 0, JSON.stringify(m.steps));
});
