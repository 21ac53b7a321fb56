// A step that is only correct on one worker (the fixture's DoFn declares singleWorker) makes a run on several workers fail before it starts, naming the step and why; on one worker it writes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'riffle-workers-single-'));
after(() => rmSync(root, { recursive: true, force: true }));

const run = (table: string, workers: number) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'test/properties/fixtures/delta-batch-pipeline.ts', `--output=${table}`, '--workers', String(workers), '--no-progress'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });

test('a singleWorker step on 2 workers is refused before any work, naming the step; on 1 worker it runs', () => {
  const refused = run(join(root, 't2'), 2);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /step '[^']*NumberRows' runs on one worker only: it numbers the rows in one sequence/);
  assert.match(refused.stderr, /--workers 1/);
  assert.equal(existsSync(join(root, 't2', '_delta_log')), false);
  const one = run(join(root, 't1'), 1);
  assert.equal(one.status, 0, one.stderr);
  assert.equal(existsSync(join(root, 't1', '_delta_log')), true);
});
