// The `models` task type: a DAG task that builds a SQL model project (examples/models) with templated vars; a failing
// data test fails the task without retry and names the test.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { models } from './models-task.ts';

const EXAMPLE = join(import.meta.dirname, '../../examples/models');
const work = mkdtempSync(join(tmpdir(), 'riffle-models-task-'));
after(() => rmSync(work, { recursive: true, force: true }));

function project(name: string): string {
  const dir = join(work, name);
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes('/target') });
  return dir;
}

function modelsDag(dir: string) {
  const d = dag({ id: `models-${dir.split('/').pop()}`, schedule: null, startDate: '2024-01-01', defaultArgs: { retries: 2, retryDelay: '1s' } });
  d.task('transform', models({ projectDir: dir, command: 'build', exclude: ['path:models/riffle_only'], vars: { as_of: '{{ ds }}' } }));
  return d;
}

describe('models task', () => {
  it('builds the project with vars rendered from the run (as_of = ds)', async () => {
    const dir = project('ok');
    const r = await testDag(modelsDag(dir), Date.UTC(2024, 0, 6));
    const ti = r.tasks.find((t) => t.taskId === 'transform');
    assert.equal(r.run.state, 'success', [...r.logs.values()].join('\n'));
    assert.equal(ti?.state, 'success');
    const log = r.logs.get('transform#1') ?? '';
    assert.match(log, /incremental model fct_orders \(9 rows\)/, 'as_of 2024-01-06 sees all nine orders');
    assert.match(log, /models build: 13 ok, 23 tests passed, 0 warned, 0 failed, 0 errors, 0 skipped/);
  });

  it('fails without retry when a data test fails, naming the test', async () => {
    const dir = project('bad');
    appendFileSync(join(dir, 'seeds/raw_payments.csv'), '11,101,bitcoin,100,2024-01-01\n');
    const r = await testDag(modelsDag(dir), Date.UTC(2024, 0, 6));
    const ti = r.tasks.find((t) => t.taskId === 'transform');
    assert.equal(ti?.state, 'failed');
    assert.equal(ti?.tryNumber, 1, 'no retry: the same data would fail again');
    assert.match(r.logs.get('transform#1') ?? '', /accepted_values_stg_payments_payment_method/);
  });
});
