// Streaming SQL on 2 worker threads: rows, keys and the aggregates' accumulators (arrays, objects) cross workers
// through the default coders, and each query gives as many outputs as on one worker.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './fixtures/nexmark-sql-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/nexmark-sql-pipeline.ts');

async function outputs(query: string, workers: number): Promise<number> {
  const params = { query, events: 8_000 };
  const p = Pipeline.create();
  await definition.build(p, params);
  const result = await new LocalRunner().run(p.graph, { workers, ...(workers > 1 ? { pipelineModule: { path: MODULE, params } } : {}) });
  assert.equal(result.state, 'DONE');
  return result.metrics.steps.find((s) => s.step === 'CountOutputs')?.elementsIn ?? -1;
}

for (const query of ['q3', 'q4', 'q5', 'q6', 'q8', 'aggregates']) {
  test(`Nexmark ${query} in streaming SQL on 2 workers gives the outputs of one worker`, async () => {
    const one = await outputs(query, 1);
    assert.ok(one > 0, `${query} gives outputs`);
    assert.equal(await outputs(query, 2), one);
  });
}
