import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { shell } from './shell-task.ts';

describe('shell tasks', () => {
  it('renders the command and env, logs output, passes the last line on; 99 skips; failures fail', async () => {
    const d = dag({ id: 'sh', schedule: '@daily', startDate: '2024-01-01', params: { table: 'events' } });
    const exported = d.task('export', shell({ command: 'echo "exporting $TABLE for {{ ds }}"; echo out/{{ ds_nodash }}.csv', env: { TABLE: '{{ params.table }}_{{ ds_nodash }}' } }));
    let got: string | null = null;
    d.task('use', { inputs: { path: exported } }, ({ inputs }) => void (got = inputs.path));
    d.task('maybe', shell({ command: 'exit 99' }));
    d.task('broken', shell({ command: 'echo oops >&2; exit 3' }));
    const r = await testDag(d, Date.UTC(2024, 0, 2));
    assert.deepEqual(Object.fromEntries(r.tasks.map((t) => [t.taskId, t.state])), { export: 'success', use: 'success', maybe: 'skipped', broken: 'failed' });
    assert.equal(got, 'out/20240102.csv');
    assert.match(r.logs.get('export#1')!, /exporting events_20240102 for 2024-01-02/);
    assert.match(r.logs.get('broken#1')!, /oops[\s\S]*command exited with code 3/);
  });
});
