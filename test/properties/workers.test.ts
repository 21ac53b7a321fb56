// N-independence: a pipeline with a broadcast side input, fixed windows, sessions, groupByKey, combine.perKey and a
// global combine writes the same lines on 1, 2, 3 and 4 worker threads (seeded inputs; workers: 1 runs in-process,
// the reference). Also: a DoFn that throws in one worker stops the job with the worker, step and element named, and
// no hang; a pipeline built inline refuses workers > 1. Worker start-up under tsx is ~1 s per worker: N stays small.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { create, LocalRunner, Pipeline, RiffleError, type PipelineResult, type Progress } from '../../src/index.ts';
import definition, { events } from './fixtures/workers-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/workers-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(workers: number, params: { seed: number; n: number; failOn?: string }, tag: string, extra: { batchGrouping?: boolean; onProgress?: (p: Progress) => void } = {}): Promise<{ lines: Record<string, string[]>; result: PipelineResult; dir: string }> {
  const dir = join(root, `${tag}-w${workers}`);
  const values = { failOn: '', ...params, output: dir };
  const p = Pipeline.create();
  await definition.build(p, values);
  const result = await new LocalRunner().run(p.graph, { workers, pipelineModule: { path: MODULE, params: values }, deadLetter: join(dir, 'dead.jsonl'), ...extra });
  const lines: Record<string, string[]> = {};
  for (const set of ['sums', 'groups', 'sessions', 'total']) {
    const files = readdirSync(dir).filter((f) => f.startsWith(`${set}-`));
    lines[set] = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '')).sort();
  }
  return { lines, result, dir };
}

describe('pipelines on N workers', () => {
  test('the same output on 1, 2, 3 and 4 workers (two seeds)', async () => {
    for (const [seed, ns] of [
      [7, [2, 3, 4]],
      [1234, [2]],
    ] as const) {
      const params = { seed, n: 1500 };
      const reference = await run(1, params, `s${seed}`);
      const expectedTotal = events(seed, 1500).reduce((s, e) => s + e.amount, 0);
      assert.deepEqual(reference.lines.total, [`total=${expectedTotal}`]);
      assert.ok(reference.lines.sums!.length > 50 && reference.lines.sessions!.length > 50, 'the reference has many windows and keys');
      for (const n of ns) {
        const got = await run(n, params, `s${seed}`);
        assert.equal(got.result.state, 'DONE');
        assert.equal(got.result.metrics.gauges.workers, n);
        assert.deepEqual(got.lines, reference.lines, `seed ${seed}: ${n} workers write what 1 does`);
        // Each input element was read exactly once, by some worker.
        const read = got.result.metrics.steps.find((s) => s.step === 'Events')!;
        assert.equal(read.elementsOut, 1500);
        const enrich = got.result.metrics.steps.find((s) => s.step === 'Enrich')!;
        assert.equal(enrich.elementsIn, 1500);
        // Every worker's dead letters, gathered into the one file the job was given.
        const rejected = events(seed, 1500).filter((e) => e.amount === 77).length;
        assert.ok(rejected > 0);
        assert.equal(got.result.deadLetterCount, rejected);
        assert.equal(got.result.deadLetterPath, join(got.dir, 'dead.jsonl'));
        const dead = readFileSync(join(got.dir, 'dead.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
        assert.equal(dead.length, rejected);
        assert.ok(dead.every((l) => (JSON.parse(l) as { step: string }).step === 'Check'));
        assert.deepEqual(readdirSync(got.dir).filter((f) => f.startsWith('dead-w')), [], 'the workers\' files were gathered');
      }
      if (seed === 1234) {
        // Progress from the workers, summed: every element read is counted once.
        const reports: Progress[] = [];
        await run(2, params, `s${seed}-progress`, { onProgress: (pr) => reports.push(pr) });
        assert.ok(reports.length > 0, 'progress was reported');
        assert.ok(reports.every((r) => r.elementsRead <= 1500 + 40 + 4), "the events, the users and the writes' impulses, each once");
        assert.ok(reports.some((r) => r.elementsRead > 0));
      }
      if (seed === 7) {
        // The streaming reducers (no batch tables) across 2 workers: the same panes.
        const streaming = await run(2, params, `s${seed}-streaming`, { batchGrouping: false });
        assert.deepEqual(streaming.lines, reference.lines, 'the streaming path on 2 workers writes what 1 does');
      }
    }
  });

  test('a DoFn that throws in one worker stops the job, naming the worker, the step and the element', async () => {
    const e = events(99, 400)[250]!;
    const started = Date.now();
    await assert.rejects(run(3, { seed: 99, n: 400, failOn: `${e.user}/${e.ts}` }, 'crash'), (err: unknown) => {
      assert.ok(err instanceof RiffleError, String(err));
      assert.match(err.message, /^step 'Enrich' failed on element .*\(in worker \d of 3\)/s);
      assert.match(err.message, new RegExp(`bad event ${e.user}/${e.ts}`));
      assert.equal(err.context.step, 'Enrich');
      assert.match(String(err.context.element), new RegExp(`"user":"${e.user}"`));
      return true;
    });
    assert.ok(Date.now() - started < 30_000, 'no hang');
  });

  test('cancelling a job on 2 workers stops every worker: CANCELLED, nothing committed, no hang', async () => {
    const dir = join(root, 'cancel');
    const values = { seed: 5, n: 600_000, failOn: '', output: dir };
    const p = Pipeline.create();
    await definition.build(p, values);
    const controller = new AbortController();
    const started = Date.now();
    // Cancelled once the workers report reading (not after a fixed delay: on a quiet machine the job may be done by then).
    const onProgress = (progress: { elementsRead: number }) => {
      if (progress.elementsRead > 0) controller.abort();
    };
    const result = await new LocalRunner().run(p.graph, { workers: 2, pipelineModule: { path: MODULE, params: values }, signal: controller.signal, onProgress });
    assert.equal(result.state, 'CANCELLED');
    assert.ok(Date.now() - started < 20_000, 'no hang');
    let listed: string[] = [];
    try {
      listed = readdirSync(dir).filter((f) => !f.startsWith('.'));
    } catch {
      // nothing was created
    }
    assert.ok(!listed.includes('_SUCCESS') || !listed.some((f) => f.startsWith('sums-')), `a cancelled job commits nothing: ${listed.join(', ')}`);
  });

  test('a pipeline built inline refuses workers > 1 (no module to load), and runs with workers: 1', async () => {
    const p = Pipeline.create();
    p.apply(create([1, 2, 3])).map((x) => x * 2);
    await assert.rejects(p.run({ workers: 2 }), /built inline in a script, so there is no module for the workers to load/);
    const r = await p.run({ workers: 1 });
    assert.equal(r.state, 'DONE');
  });
});
