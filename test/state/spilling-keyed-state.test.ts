// A pipeline's keyed state in the spilling backend (through the engine's keyState port), with a budget so small that
// every bundle boundary spills: the output equals the in-memory run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, create, groupByKey, kv, map, Pipeline } from '../../src/index.ts';
import { LocalRunner } from '../../src/runner/index.ts';
import { backendKeyState } from '../../src/runner/state/key-state-factory.ts';
import { InMemoryStateBackend, MemoryBudget, SpillingStateBackend, structuredStateCoder } from '../../src/runner/state/index.ts';

// One keyed step per pipeline: the engine's KeyStateFactory does not say which step a key belongs to, so one backend
// serves one keyed step (two steps sharing a backend would share a key's namespaces).
async function run(step: 'group' | 'sum', keyState: ReturnType<typeof backendKeyState> | undefined): Promise<string[]> {
  const out: string[] = [];
  const xs = Array.from({ length: 3000 }, (_, i) => i);
  const p = Pipeline.create();
  const keyed = p.apply(create(xs, { batchSize: 100 })).apply(map((x: number) => kv(`k${(x * 7919) % 211}`, x)));
  if (step === 'group') keyed.apply(groupByKey()).apply(map((g) => out.push(`g ${g.key} ${[...g.value].sort((a, b) => a - b).join(',')}`)));
  else keyed.apply(combine.perKey(combine.sum((x: number) => x))).apply(map((s) => out.push(`s ${s.key} ${s.value}`)));
  await p.run({ runner: new LocalRunner(), batchGrouping: false, ...(keyState ? { keyState } : {}) });
  return out.sort();
}

for (const step of ['group', 'sum'] as const) {
  test(`a pipeline keeps its keyed state (${step}) in the spilling backend: same output as in memory, with runs written`, async () => {
    const reference = await run(step, undefined);
    assert.equal(reference.length, 211);
    const memory = new InMemoryStateBackend({ defaultCoder: structuredStateCoder() });
    assert.deepEqual(await run(step, backendKeyState(memory)), reference);
    memory.close();
    const spilling = new SpillingStateBackend({ budget: MemoryBudget.of('16k'), defaultCoder: structuredStateCoder(), maxRuns: 4 });
    assert.deepEqual(await run(step, backendKeyState(spilling)), reference);
    const m = spilling.metrics();
    // The lifted sum reaches its reducer as precombined accumulators in one bundle: no boundary to spill at.
    if (step === 'group') assert.ok(m.runsWritten > 0 && m.bytesSpilled > 0, JSON.stringify(m));
    spilling.close();
  });
}
