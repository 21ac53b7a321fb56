import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeltaTable } from '../lakehouse/index.ts';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import { Scheduler } from './scheduler.ts';
import { deltaTableSensor, externalTaskSensor } from './sensors.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-sensors-'));
after(() => rmSync(root, { recursive: true, force: true }));
const DAY = Date.UTC(2024, 0, 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deltaTableSensor', () => {
  it('waits for the table, then for the (templated) partition and version; passes what it found downstream', async () => {
    const path = join(root, 'events');
    const d = dag({ id: 'delta_wait', schedule: '@daily', startDate: '2024-01-01' });
    // The writer runs beside the sensors: creates the table (version 0), writes another day's partition (1), later the run's own (2).
    d.task('writer', async () => {
      await sleep(150);
      const t = await DeltaTable.create(path, { schema: { id: 'long', day: 'string' }, partitionBy: ['day'] });
      await t.append([{ id: 1n, day: '2024-01-02' }]);
      await sleep(150);
      await t.append([{ id: 2n, day: '2024-01-01' }, { id: 3n, day: '2024-01-01' }]);
    });
    const poke = { pokeInterval: '20ms', timeout: '20s' } as const;
    const partition = d.sensor('partition', deltaTableSensor({ path, partition: { day: '{{ ds }}' }, ...poke }));
    d.sensor('exists', deltaTableSensor({ path, ...poke, mode: 'reschedule' }));
    d.sensor('version3', deltaTableSensor({ path, version: 3, ...poke }));
    d.sensor('never_v5', deltaTableSensor({ path, version: 5, pokeInterval: '20ms', timeout: '1s' }));
    d.sensor('bad_column', deltaTableSensor({ path, partition: { country: 'fr' }, ...poke, retries: 3 }));
    let seen: unknown;
    d.task('consume', { inputs: { partition } }, ({ inputs }) => void (seen = inputs.partition));
    // version 3 exists only once this runs
    d.task('third_commit', { inputs: { partition } }, async () => (await DeltaTable.open(path)).append([{ id: 4n, day: '2024-01-03' }]).then(() => 'ok'));
    const r = await testDag(d, DAY);
    const ti = (id: string) => r.tasks.find((t) => t.taskId === id)!;
    assert.deepEqual(Object.fromEntries(r.tasks.map((t) => [t.taskId, t.state])), {
      writer: 'success', partition: 'success', exists: 'success', version3: 'success', never_v5: 'failed', bad_column: 'failed', consume: 'success', third_commit: 'success',
    });
    assert.deepEqual(seen, { path, version: 2, files: 1, partition: { day: '2024-01-01' } });
    assert.match(ti('never_v5').error!, /timed out/);
    assert.match(ti('bad_column').error!, /has no partition column 'country' \(partition columns: day\)/);
    assert.equal(ti('bad_column').tryNumber, 1, 'a wrong column is not retried');
    assert.match(r.logs.get('partition#1')!, /no Delta table at .* yet[^]*has no file in partition \{"day":"2024-01-01"\} yet/);
  });
});

describe('externalTaskSensor', () => {
  async function run(dags: ReturnType<typeof dag>[], dates: Record<string, number>) {
    const store = await JournalStore.open();
    const byId = new Map(dags.map((d) => [d.id, d]));
    const s = new Scheduler({ store, dags, executor: new InlineExecutor((dagId, id) => byId.get(dagId)!.getTask(id), 16, 1000, store), scheduleRuns: false, pollMs: 20 });
    await s.start();
    const created = await Promise.all(Object.entries(dates).map(([id, at]) => s.triggerRun(id, { logicalDate: at })));
    const runs = await Promise.all(created.map((c) => s.waitForRun(c.dagId, c.runId)));
    await s.stop();
    const tis = await store.listTaskInstances({});
    const xcoms = await Promise.all(created.map((c) => store.listXComs(c.dagId, c.runId)));
    return { runs: Object.fromEntries(runs.map((r) => [r.dagId, r.state])), tis, xcoms: xcoms.flat() };
  }

  it("waits for another DAG's task (same date or shifted by executionDelta) and for a whole run", async () => {
    const up = dag({ id: 'ingest', schedule: '@daily', startDate: '2024-01-01' });
    up.task('load', async () => {
      await sleep(200);
      return 'loaded';
    }).then(up.task('after', () => 1));
    const down = dag({ id: 'report', schedule: '@daily', startDate: '2024-01-01' });
    const poke = { pokeInterval: '20ms', timeout: '20s' } as const;
    down.sensor('same_day', externalTaskSensor({ dagId: 'ingest', taskId: 'load', ...poke }));
    down.sensor('whole_run', externalTaskSensor({ dagId: 'ingest', ...poke, mode: 'reschedule' }));
    down.sensor('yesterday', externalTaskSensor({ dagId: 'ingest', taskId: 'load', executionDelta: '1d', ...poke }));
    const JAN2 = DAY + 86_400_000;
    const store = await JournalStore.open();
    const s = new Scheduler({ store, dags: [up, down], executor: new InlineExecutor((dagId, id) => (dagId === 'ingest' ? up : down).getTask(id), 16, 1000, store), scheduleRuns: false, pollMs: 20 });
    await s.start();
    // The report of Jan 2 starts first; ingest's runs of Jan 1 and Jan 2 come later.
    const report = await s.triggerRun('report', { logicalDate: JAN2 });
    await sleep(100);
    const ingest = [await s.triggerRun('ingest', { logicalDate: DAY }), await s.triggerRun('ingest', { logicalDate: JAN2 })];
    const states = await Promise.all([report, ...ingest].map(async (c) => (await s.waitForRun(c.dagId, c.runId)).state));
    await s.stop();
    assert.deepEqual(states, ['success', 'success', 'success']);
    const value = async (taskId: string) => (await store.getXCom({ dagId: 'report', runId: report.runId, taskId, mapIndex: -1 }))?.value as { runId: string; logicalDate: number; taskId: string | null };
    assert.deepEqual(await value('yesterday'), { dagId: 'ingest', runId: ingest[0]!.runId, taskId: 'load', state: 'success', logicalDate: DAY });
    assert.deepEqual([(await value('same_day')).runId, (await value('whole_run')).runId, (await value('whole_run')).taskId], [ingest[1]!.runId, ingest[1]!.runId, null]);
    const ended = async (dagId: string, runId: string, taskId: string) => (await store.getTaskInstance({ dagId, runId, taskId, mapIndex: -1 }))!.endDate!;
    assert.ok((await ended('report', report.runId, 'same_day')) >= (await ended('ingest', ingest[1]!.runId, 'load')), 'done only once the watched task ended');
    assert.ok((await ended('report', report.runId, 'whole_run')) >= (await ended('ingest', ingest[1]!.runId, 'after')), 'the whole run, not just one task');
    assert.match(await store.readLog({ dagId: 'report', runId: report.runId, taskId: 'same_day', mapIndex: -1 }, 1), /ingest has no run for 2024-01-02T00:00:00.000Z yet/);
  });

  it('fails at once on a failed state, and passes on an allowed one', async () => {
    const up = dag({ id: 'flaky_up', schedule: '@daily', startDate: '2024-01-01' });
    up.task('boom', { retries: 0 }, () => {
      throw new Error('upstream broke');
    }).then(up.task('child', () => 1));
    const down = dag({ id: 'watcher', schedule: '@daily', startDate: '2024-01-01', defaultArgs: { retries: 2, retryDelay: '10ms' } });
    const poke = { pokeInterval: '20ms', timeout: '30s' } as const;
    down.sensor('on_boom', externalTaskSensor({ dagId: 'flaky_up', taskId: 'boom', ...poke }));
    down.sensor('on_child', externalTaskSensor({ dagId: 'flaky_up', taskId: 'child', ...poke }));
    down.sensor('on_run', externalTaskSensor({ dagId: 'flaky_up', ...poke }));
    down.sensor('any_end', externalTaskSensor({ dagId: 'flaky_up', taskId: 'boom', allowedStates: ['success', 'failed'], failedStates: [], ...poke }));
    const started = Date.now();
    const r = await run([up, down], { flaky_up: DAY, watcher: DAY });
    assert.ok(Date.now() - started < 20_000, 'no sensor waited for its timeout');
    const ti = (id: string) => r.tis.find((t) => t.dagId === 'watcher' && t.taskId === id)!;
    assert.deepEqual([ti('on_boom').state, ti('on_boom').tryNumber], ['failed', 1]);
    assert.match(ti('on_boom').error!, /flaky_up\.boom is failed in run manual__/);
    assert.match(ti('on_child').error!, /flaky_up\.child is upstream_failed/);
    assert.match(ti('on_run').error!, /flaky_up is failed/);
    assert.equal(ti('any_end').state, 'success');
    assert.equal(r.runs.watcher, 'failed');
  });

  it('needs a metadata store: without one the attempt fails saying so', async () => {
    const d = dag({ id: 'lonely', schedule: '@daily', startDate: '2024-01-01' });
    d.sensor('watch', externalTaskSensor({ dagId: 'x', pokeInterval: '10ms', timeout: '5s' }));
    const store = await JournalStore.open();
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pollMs: 20 });
    await s.start();
    const run = await s.waitForRun('lonely', (await s.triggerRun('lonely', { logicalDate: DAY })).runId);
    await s.stop();
    assert.equal(run.state, 'failed');
    assert.match((await store.listTaskInstances({ dagId: 'lonely' }))[0]!.error!, /runs without one/);
  });

  it('refuses contradictory options when the DAG is defined', () => {
    assert.throws(() => externalTaskSensor({ dagId: 'x', allowedStates: ['success', 'failed'] }), /failed is both allowed and failed/);
    assert.throws(() => deltaTableSensor({ path: 'p', version: -1 }), /version must be an integer ≥ 0/);
  });
});
