// Keyed state past an explicit memory budget (memoryBytes): each keyed step's state lives in its own spilling
// backend (one per step: two steps keyed alike do not share a key's state), and the output is the in-memory run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, groupByKey, kv, map, parDo, Pipeline, state, type KV, type PipelineResult } from '../../src/index.ts';
import { LocalRunner } from '../../src/runner/index.ts';

async function run(memoryBytes?: number): Promise<{ out: string[]; result: PipelineResult }> {
  const out: string[] = [];
  const xs = Array.from({ length: 20_000 }, (_, i) => i);
  const p = Pipeline.create();
  const keyed = p.apply(create(xs, { batchSize: 200 })).apply(map((x: number) => kv(`k${(x * 7919) % 997}`, x)));
  // Two stateful steps keyed by the same keys, each with a value state of the same tag name.
  const running = (label: string, f: (x: number) => number) =>
    parDo({
      state: { total: state.value<number>() },
      process(e: KV<string, number>, ctx) {
        const t = (ctx.state.total.read() ?? 0) + f(e.value);
        ctx.state.total.write(t);
        if (e.value >= 19_000) ctx.output(`${label} ${e.key} ${e.value} ${t}`);
      },
    });
  keyed.apply(running('sum', (x) => x)).apply(map((s: string) => out.push(s)));
  keyed.apply(running('count', () => 1)).apply(map((s: string) => out.push(s)));
  // A grouping on the streaming path keeps its buffers in keyed state too.
  keyed.apply(groupByKey()).apply(map((g) => out.push(`g ${g.key} ${[...g.value].sort((a, b) => a - b).join(',')}`)));
  const result = await p.run({ runner: new LocalRunner(), batchGrouping: false, ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
  return { out: out.sort(), result };
}

test('keyed state of several steps keyed alike spills per step past memoryBytes: the in-memory output', async () => {
  const reference = await run();
  assert.equal(reference.out.filter((l) => l.startsWith('g ')).length, 997);
  const small = await run(64 * 1024);
  assert.deepEqual(small.out, reference.out);
  const steps = small.result.metrics.memory!.steps;
  const stateSteps = Object.entries(steps).filter(([name]) => name.endsWith('(state)'));
  assert.ok(stateSteps.length >= 2, JSON.stringify(steps));
  assert.ok(stateSteps.some(([, m]) => m.runsWritten > 0 && m.bytesSpilled > 0), JSON.stringify(steps));
});
