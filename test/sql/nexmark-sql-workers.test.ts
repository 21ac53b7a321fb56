// Streaming SQL on 2 worker threads: rows, keys and the aggregates' accumulators (arrays, objects) cross workers
// through the default coders, and each query gives as many outputs as on one worker (Q3 and Q4: the same rows).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './fixtures/nexmark-sql-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/nexmark-sql-pipeline.ts');

async function outputs(query: string, workers: number, output = ''): Promise<number> {
  const params = { query, events: 8_000, output };
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

/** The rows a run wrote (JSON lines of every file), sorted. */
function written(dir: string): string[] {
  const lines: string[] = [];
  for (const f of readdirSync(dir)) if (f.endsWith('.jsonl')) lines.push(...readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
  return lines.sort();
}

// The joins in keyed state and the interval join's per-auction groups give the same rows, not only as many: each
// key's rows meet on one worker whichever worker read them. (Q6's rows depend on the order a seller's winning bids
// arrive in, which two workers interleave; its count is checked above.)
for (const query of ['q3', 'q4']) {
  test(`Nexmark ${query} in streaming SQL on 2 workers gives the rows of one worker`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `riffle-sql-${query}-`));
    try {
      const n = await outputs(query, 1, join(dir, 'one'));
      assert.ok(n > 0);
      assert.equal(await outputs(query, 2, join(dir, 'two')), n);
      const one = written(join(dir, 'one'));
      assert.equal(one.length, n);
      assert.deepEqual(written(join(dir, 'two')), one);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
