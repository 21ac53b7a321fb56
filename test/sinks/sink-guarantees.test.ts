// Each built-in sink declares its guarantee, and a run's result lists every sink step with it (a sink that declares
// none is at-least-once); `riffle run` prints them (table) — the --json report is checked in delta-workers.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { create, io, Pipeline, writeTo, type Sink } from '../../src/index.ts';
import { formatRunReport } from '../../src/cli/run-report.ts';

test('the run result lists each sink step with its guarantee', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-guarantees-'));
  const p = Pipeline.create();
  const rows = p.apply(create([{ id: 1 }, { id: 2 }]));
  rows.apply('Files', io.files.writeJsonl(join(dir, 'out/rows')));
  rows.apply('Table', io.delta.write(join(dir, 'table')));
  const plain: Sink<unknown> = {
    describe: () => 'memory',
    async open() {
      return { write() {}, flush: () => undefined, finish: async () => {}, abort: async () => {} };
    },
  };
  rows.apply('Plain', writeTo(plain));
  const result = await p.run();
  assert.deepEqual(result.sinks?.map((s) => [s.step, s.guarantee]), [
    ['Files/WriteBundles', 'exactly-once'],
    ['Table/Stage', 'exactly-once'],
    ['Table/Commit', 'exactly-once'],
    ['Plain', 'at-least-once'],
  ]);
  const report = formatRunReport('p.ts', result);
  assert.match(report, /sink\s+│?\s*writes\s+│?\s*guarantee/);
  assert.match(report, /Plain\s+│?\s*memory\s+│?\s*at-least-once/);
});
