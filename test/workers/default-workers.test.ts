// The default worker count (issue 13): a pipeline module run by `riffle run` takes one worker per core, at most one
// per 64 MiB of bounded input (a small job runs in one thread: starting workers would cost more than they save), one
// when a step is pinned to one worker; `--workers N` is always honoured; a pipeline built inline in a script runs
// in-process unless `workers` is given.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { create, map, Pipeline } from '../../src/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = 'test/workers/fixtures/sized-pipeline.ts';

/** The run's worker count as its report gives it (the `workers` gauge; absent: in-process, one). */
function workersOf(args: readonly string[]): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', FIXTURE, ...args, '--json', '--no-progress'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { metrics: { gauges: Record<string, number>; steps: { step: string; elementsOut: number }[] } };
  assert.equal(report.metrics.steps.find((s) => s.step === 'Double')?.elementsOut, 1000, 'every element once');
  return report.metrics.gauges.workers ?? 1;
}

const cores = availableParallelism();

test('a module with input worth it runs on one worker per core', { skip: cores < 2 && 'one core' }, () => {
  assert.equal(workersOf([`--estimate=${cores * 64 * 2 ** 20}`]), cores);
  assert.equal(workersOf([`--estimate=${64 * 2 ** 20 + 1}`]), Math.min(cores, 2), 'one worker per 64 MiB started');
});

test('a small job runs in one thread; a pinned step keeps one worker; --workers N is honoured', { skip: cores < 2 && 'one core' }, () => {
  assert.equal(workersOf(['--estimate=1000']), 1);
  assert.equal(workersOf([`--estimate=${cores * 64 * 2 ** 20}`, '--pinned']), 1);
  assert.equal(workersOf([`--estimate=${cores * 64 * 2 ** 20}`, '--pinned-sink']), 1, 'a sink pinned to one worker');
  assert.equal(workersOf(['--estimate=1000', '--workers', '2']), 2);
});

test('a step or sink pinned to one worker refuses --workers 2 before it starts, naming the step and its reason', () => {
  for (const [flag, step, reason] of [['--pinned', 'Pinned', 'it keeps a tally in this thread'], ['--pinned-sink', 'PinnedSink', 'it applies elements in the order read']] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', FIXTURE, flag, '--workers', '2', '--no-progress'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`step '${step}' runs on one worker only: ${reason}`));
    assert.match(r.stderr, /--workers 1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a pipeline built inline in a script runs in-process', async () => {
  const p = Pipeline.create();
  p.apply(create([1, 2, 3])).apply(map((n: number) => n + 1, 'Inc'));
  const result = await p.run();
  assert.equal(result.metrics.gauges.workers, undefined);
  assert.equal(result.metrics.steps.find((s) => s.step === 'Inc')?.elementsOut, 3);
});
