// The CLI accepts pipelines and DAGs written against another copy of Riffle — a user's project with its own
// installed `riffle` — recognising them by brand and shape, and that copy's errors by their code: here the project's
// node_modules/riffle is a copy of src/ (a second set of module URLs, so a second set of classes), and the CLI is
// this checkout's bin/riffle.js.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/riffle.js');
const project = mkdtempSync(join(tmpdir(), 'riffle-other-copy-'));
after(() => rmSync(project, { recursive: true, force: true }));

function riffle(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('pipelines and DAGs importing another copy of Riffle', () => {
  before(() => {
    const copy = join(project, 'node_modules/riffle');
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true, filter: (src) => !src.endsWith('.test.ts') && !src.endsWith('/fixtures') });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir'); // the copy's own dependencies
    writeFileSync(join(copy, 'package.json'), JSON.stringify({
      name: 'riffle', type: 'module',
      exports: { '.': './src/index.ts', './orchestrator': './src/orchestrator/index.ts' },
    }));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(project, 'sum.ts'), `
import { combine, create, Pipeline } from 'riffle';
export default Pipeline.define({ params: { n: { type: 'integer', default: 4 } } }, (p, { n }) => {
  p.apply(create(Array.from({ length: n }, (_, i) => i + 1)))
    .apply(combine.globally(combine.sum()))
    .map((total) => { console.error('total=' + total); return total; });
});
console.error('riffle from ' + import.meta.resolve('riffle'));
`);
    // Fixed windows crossing workers (the exchange encodes the other copy's windows) and sessions merging there.
    writeFileSync(join(project, 'windows.ts'), `
import { combine, create, kv, Pipeline, window, withTimestamps } from 'riffle';
export default Pipeline.define({ params: {} }, (p) => {
  const events = p.apply(create(Array.from({ length: 2000 }, (_, i) => i))).apply(withTimestamps((i: number) => i * 1000));
  events.apply(window.into(window.fixed('1m'))).map((i: number) => kv('k' + (i % 7), 1))
    .apply(combine.perKey(combine.sum()))
    .apply(window.into(window.global())).apply(combine.globally(combine.count())).map((n: number) => { console.error('fixed=' + n); return n; });
  events.map((i: number) => kv('s' + (i % 3), i)).apply(window.into(window.sessions('90s')))
    .apply(combine.perKey(combine.count()))
    .apply(window.into(window.global())).apply(combine.globally(combine.count())).map((n: number) => { console.error('sessions=' + n); return n; });
});
`);
    mkdirSync(join(project, 'dags'));
    writeFileSync(join(project, 'dags/etl.ts'), `
import { dag } from 'riffle/orchestrator';
export const etl = dag({ id: 'other-copy-etl', schedule: '@daily', startDate: '2024-01-01' });
const extract = etl.task('extract', () => 21);
etl.task('double', { inputs: { n: extract } }, ({ inputs }) => inputs.n * 2);
`);
  });

  it('riffle run: the definition of the other copy is recognised and runs', () => {
    const r = riffle('run', 'sum.ts', '--n=5');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /total=15/);
    assert.match(r.stderr + r.stdout, /riffle from file:.*\/node_modules\/riffle\/src\/index\.ts/);
  });

  it("riffle run --workers 2: the other copy's windows cross workers (fixed and merged sessions)", () => {
    const r = riffle('run', 'windows.ts', '--workers', '2', '--no-progress');
    assert.equal(r.status, 0, r.stderr);
    // 2000 s of events: 34 one-minute windows × 7 keys; every event 1 s apart, so one session per key.
    assert.match(r.stderr + r.stdout, /fixed=238/);
    assert.match(r.stderr + r.stdout, /sessions=3/);
  });

  it("riffle run: the other copy's parameter error is a usage error, not a crash", () => {
    const r = riffle('run', 'sum.ts', '--bogus=1');
    assert.notEqual(r.status, 0);
    const text = r.stderr + r.stdout;
    assert.match(text, /unknown parameter --bogus/);
    assert.doesNotMatch(text, /\n\s+at .*\(.*:\d+:\d+\)/, `no stack trace:\n${text}`);
  });

  it('riffle dag list / dag test: a DAG of the other copy is found and runs', () => {
    const list = riffle('dag', 'list', '--dags', 'dags');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /other-copy-etl/);
    const test = riffle('dag', 'test', 'other-copy-etl', '2024-01-02', '--dags', 'dags');
    assert.equal(test.status, 0, test.stderr + test.stdout);
    assert.match(test.stdout, /double\s+success/);
  });
});
