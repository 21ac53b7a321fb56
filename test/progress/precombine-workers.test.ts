// Combining before the exchange (issue 13, item 3: "hot keys are combined before the exchange"): on 2 workers a
// lifted combine.perKey pre-combines on the sending side, so a key holding 90% of the input crosses the exchange as
// a few accumulators, not as every element; the output is the same as on 1 worker.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './fixtures/skewed-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/skewed-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-precombine-'));
after(() => rmSync(root, { recursive: true, force: true }));
const N = 20_000;

async function run(workers: number) {
  const dir = join(root, `w${workers}`);
  const values = { n: N, output: dir };
  const p = Pipeline.create();
  await definition.build(p, values);
  const result = await new LocalRunner().run(p.graph, { workers, pipelineModule: { path: MODULE, params: values } });
  const lines = (set: string) =>
    readdirSync(dir)
      .filter((f) => f.startsWith(`${set}-`))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''))
      .sort();
  const step = (name: string) => result.metrics.steps.find((s) => s.step === name);
  return { sums: lines('sums'), means: lines('means'), result, step };
}

test('a hot key is combined before the exchange on 2 workers; same output as 1 worker', async () => {
  const one = await run(1);
  const two = await run(2);
  assert.equal(two.result.state, 'DONE');
  assert.equal(two.result.metrics.gauges.workers, 2);
  assert.ok(one.sums.length > 100, `many windows and keys: ${one.sums.length} ${JSON.stringify(one.result.metrics.steps.map((s) => [s.step, s.elementsIn, s.elementsOut]))}`);
  assert.deepEqual(two.sums, one.sums);
  assert.deepEqual(two.means, one.means);
  // What the grouping received (summed over both workers): accumulators from each worker's precombine.
  for (const name of ['Sums', 'Means']) {
    const pre = two.step(`${name}/Precombine`);
    assert.ok(pre !== undefined, `${name} is lifted: a precombine runs before the exchange`);
    assert.equal(pre.elementsIn, N);
    const grouping = two.step(name)!;
    console.log(`${name}: ${grouping.elementsIn} accumulators crossed for ${N} inputs`);
    // At most one accumulator per key (101) and window (6) from each worker (both read: splits wait for every worker).
    assert.ok(grouping.elementsIn <= 2 * 101 * 6, `${name}: ${grouping.elementsIn} elements crossed the exchange for ${N} inputs`);
    assert.equal(grouping.elementsIn, pre.elementsOut);
  }
});
