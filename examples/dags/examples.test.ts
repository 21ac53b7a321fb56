// End-to-end: the taskflow, dynamic-DAG and reschedule-sensor examples through the real CLI, plus the sensor's
// reschedules seen through `riffle scheduler --once` and `riffle dag logs`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'riffle-dag-examples-'));
after(() => rmSync(work, { recursive: true, force: true }));

function riffle(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  const states = Object.fromEntries([...r.stdout.matchAll(/^([\w.[\]]+)\s+(success|failed|skipped|upstream_failed|mapped)\s/gm)].map((m) => [m[1], m[2]]));
  return { status: r.status, states, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/dags', () => {
  it('taskflow-etl: return values flow extract → transform → load → report', () => {
    const out = join(work, 'taskflow');
    const r = riffle('dag', 'test', 'taskflow-etl', '2024-01-01', '--dags', 'examples/dags', `--outDir=${out}`);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.states, { extract: 'success', transform: 'success', load: 'success', report: 'success' });
    assert.deepEqual(JSON.parse(readFileSync(join(out, '2024-01-01/totals.json'), 'utf8')), { ana: 803.49, bo: 451.21, cy: 42.5 });
  });

  it('dynamic-dags: one DAG per config entry, each mapping over its tables', () => {
    const list = riffle('dag', 'list', '--dags', 'examples/dags', '--store', join(work, 'none'), '--json');
    assert.equal(list.status, 0, list.stderr);
    const ids = (JSON.parse(list.stdout) as { dags: { id: string; tags: string }[] }).dags.filter((d) => d.tags.includes('generated')).map((d) => d.id);
    assert.deepEqual(ids, ['ingest-orders', 'ingest-customers', 'ingest-inventory']);
    const r = riffle('dag', 'test', 'ingest-inventory', '2024-01-01', '--dags', 'examples/dags');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.states, { list_tables: 'success', ingest: 'mapped', 'ingest[0]': 'success', 'ingest[1]': 'success', 'ingest[2]': 'success', publish: 'success' });
  });

  it('reschedule-sensor: pokes, gives its slot back between pokes, then passes the partition on', () => {
    const r = riffle('dag', 'test', 'reschedule-sensor', '2024-01-01', '--dags', 'examples/dags', `--root=${join(work, 'parts-test')}`);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.states, { produce: 'success', wait_for_partition: 'success', consume: 'success' });
    assert.match(r.stderr, /wait_for_partition\s+up_for_reschedule/);

    // The same under the real scheduler and worker processes; the pokes land in one attempt's log.
    const store = join(work, 'store');
    const common = ['--dags', 'examples/dags/reschedule-sensor.ts', '--store', store];
    const t = riffle('dag', 'trigger', 'reschedule-sensor', '--logical-date', '2024-01-02', '--conf', `root=${join(work, 'parts')}`, '--conf', 'delayMs=2000', ...common);
    assert.equal(t.status, 0, t.stderr);
    assert.equal(riffle('dag', 'pause', 'reschedule-sensor', ...common).status, 0, 'no scheduled run, only the triggered one');
    const s = riffle('scheduler', '--once', '--json', ...common);
    assert.equal(s.status, 0, s.stderr + s.stdout);
    assert.deepEqual((JSON.parse(s.stdout) as { runs: { runId: string; state: string }[] }).runs.map((x) => [x.runId, x.state]), [['manual__2024-01-02T00:00:00.000Z', 'success']]);
    const tis = JSON.parse(riffle('dag', 'tasks', 'reschedule-sensor', '2024-01-02', '--json', ...common).stdout) as { tasks: { taskId: string; state: string; tryNumber: number }[] };
    assert.deepEqual(tis.tasks.map((x) => [x.taskId, x.state, x.tryNumber]), [['produce', 'success', 1], ['wait_for_partition', 'success', 1], ['consume', 'success', 1]]);
    const log = riffle('dag', 'logs', 'reschedule-sensor', '2024-01-02', 'wait_for_partition', ...common);
    assert.equal(log.status, 0, log.stderr);
    // At least one poke found the partition missing and gave the slot back (how many depends on the machine's load).
    assert.ok((log.stdout.match(/not complete yet; rescheduling/g) ?? []).length >= 1, log.stdout);
    assert.match(log.stdout, /is complete/);
  });
});
