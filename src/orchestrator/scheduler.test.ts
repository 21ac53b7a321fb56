import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newDagRun } from './admin.ts';
import { dag } from './dag.ts';
import { testDag } from './dag-test.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import { Scheduler } from './scheduler.ts';
import { failWithoutRetry, skip } from './signals.ts';
import type { CallbackInfo } from './task.ts';

const DAY = Date.UTC(2024, 0, 1);
const base = { schedule: '@daily', startDate: '2024-01-01' } as const;
const statesOf = (r: Awaited<ReturnType<typeof testDag>>) => Object.fromEntries(r.tasks.map((t) => [`${t.taskId}${t.mapIndex >= 0 ? `[${t.mapIndex}]` : ''}`, t.state]));

describe('scheduler (in-process executor)', () => {
  it('passes return values downstream (TaskFlow) and renders the context', async () => {
    const d = dag({ id: 'flow', ...base, params: { factor: 10 } });
    const rows = d.task('extract', ({ ds }) => [{ day: ds, n: 1 }, { day: ds, n: 2 }]);
    const total = d.task('sum', { inputs: { rows } }, ({ inputs, params }) => inputs.rows.reduce((s, r) => s + r.n, 0) * (params.factor as number));
    d.task('report', { inputs: { total, rows } }, ({ inputs, render }) => render(`{{ ds }}: ${inputs.total} from ${inputs.rows.length} rows`));
    const r = await testDag(d, DAY);
    assert.equal(r.run.state, 'success');
    assert.deepEqual(statesOf(r), { extract: 'success', sum: 'success', report: 'success' });
  });

  it('branches: unfollowed paths are skipped and the join runs with none_failed_min_one_success', async () => {
    const d = dag({ id: 'branching', ...base });
    const size = d.task('count', () => 5000);
    const choose = d.branch('choose', { inputs: { size } }, ({ inputs }) => (inputs.size > 1000 ? 'big' : 'small'));
    const big = d.task('big', () => 'b');
    const small = d.task('small', () => 's');
    const afterSmall = d.task('after_small', () => 'x');
    const join = d.task('join', { triggerRule: 'none_failed_min_one_success' }, () => 'j');
    const plain = d.task('plain_join', () => 'p');
    choose.then([big, small]);
    small.then(afterSmall);
    big.then([join, plain]);
    afterSmall.then([join, plain]);
    const r = await testDag(d, DAY);
    assert.deepEqual(statesOf(r), { count: 'success', choose: 'success', big: 'success', small: 'skipped', after_small: 'skipped', join: 'success', plain_join: 'skipped' });
    assert.equal(r.run.state, 'success');
  });

  it('retries with backoff, then succeeds; callbacks fire', async () => {
    const calls: string[] = [];
    const record = (i: CallbackInfo) => void calls.push(`${i.taskId}:${i.state}:${i.tryNumber}`);
    let attempts = 0;
    const d = dag({ id: 'retry', ...base, defaultArgs: { retries: 2, retryDelay: '20ms', retryExponentialBackoff: true, onRetry: record, onSuccess: record, onFailure: record } });
    d.task('flaky', () => {
      if (++attempts < 3) throw new Error(`boom ${attempts}`);
      return attempts;
    });
    const started = Date.now();
    const r = await testDag(d, DAY);
    assert.equal(r.tasks[0]?.state, 'success');
    assert.equal(r.tasks[0]?.tryNumber, 3);
    assert.ok(Date.now() - started >= 60, 'waited 20 + 40 ms');
    await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(calls, ['flaky:up_for_retry:1', 'flaky:up_for_retry:2', 'flaky:success:3']);
    assert.match(r.logs.get('flaky#1')!, /attempt 1 failed: boom 1/);
  });

  it('skip() and failWithoutRetry(); failures propagate per trigger rules', async () => {
    const d = dag({ id: 'signals', ...base, defaultArgs: { retries: 3, retryDelay: '10ms' } });
    const s = d.task('skipper', () => skip('nothing today'));
    const f = d.task('fatal', () => failWithoutRetry('bad config'));
    const afterSkip = d.task('after_skip', () => 1);
    const afterFail = d.task('after_fail', () => 1);
    const cleanup = d.task('cleanup', { triggerRule: 'all_done' }, () => 1);
    const alert = d.task('alert', { triggerRule: 'one_failed' }, () => 1);
    s.then(afterSkip);
    f.then(afterFail);
    afterFail.then([cleanup, alert]);
    f.then(alert);
    const r = await testDag(d, DAY);
    assert.deepEqual(statesOf(r), { skipper: 'skipped', fatal: 'failed', after_skip: 'skipped', after_fail: 'upstream_failed', cleanup: 'success', alert: 'success' });
    assert.equal(r.tasks.find((t) => t.taskId === 'fatal')?.tryNumber, 1, 'no retry');
    assert.equal(r.run.state, 'failed');
  });

  it('maps a task over a list produced upstream; downstream gets the list of results', async () => {
    const d = dag({ id: 'mapping', ...base });
    const files = d.task('list', () => ['a.csv', 'b.csv', 'c.csv']);
    const sizes = d.task('measure', { expand: { file: files } }, ({ inputs }) => inputs.file.length);
    let seen: number[] = [];
    d.task('total', { inputs: { sizes } }, ({ inputs }) => {
      seen = inputs.sizes;
      return inputs.sizes.reduce((a, b) => a + b, 0);
    });
    const empty = d.task('none', () => [] as string[]);
    d.task('never', { expand: { x: empty } }, () => 1).then(d.task('after_never', () => 1));
    const r = await testDag(d, DAY);
    assert.deepEqual(seen, [5, 5, 5]);
    const st = statesOf(r);
    assert.deepEqual([st['measure'], st['measure[0]'], st['measure[2]'], st['total'], st['never'], st['after_never']], ['mapped', 'success', 'success', 'success', 'skipped', 'skipped']);
  });

  it('sensors: poke mode waits, reschedule mode gives its slot back, timeouts fail without retry', async () => {
    let pokes = 0;
    let rescheduled = 0;
    const d = dag({ id: 'sensing', ...base, defaultArgs: { retries: 2, retryDelay: '10ms' } });
    d.sensor('poker', { pokeInterval: '10ms', timeout: '5s', poke: () => ({ done: ++pokes >= 3, value: 'ready' }) });
    d.sensor('rescheduler', { mode: 'reschedule', pokeInterval: '10ms', poke: () => ++rescheduled >= 3 });
    d.sensor('never', { pokeInterval: '10ms', timeout: '40ms', poke: () => false });
    d.sensor('soft', { pokeInterval: '10ms', timeout: '20ms', softFail: true, poke: () => false });
    const r = await testDag(d, DAY);
    assert.deepEqual(statesOf(r), { poker: 'success', rescheduler: 'success', never: 'failed', soft: 'skipped' });
    assert.equal(r.tasks.find((t) => t.taskId === 'rescheduler')?.tryNumber, 1, 'reschedules do not use tries');
    assert.equal(r.tasks.find((t) => t.taskId === 'never')?.tryNumber, 1);
  });

  it('creates due runs with catchup, within maxActiveRuns; depends_on_past orders them', async () => {
    const store = await JournalStore.open();
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const d = dag({ id: 'catchup', ...base, catchup: true, maxActiveRuns: 2 });
    d.task('work', { dependsOnPast: true }, async ({ ds }) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((res) => setTimeout(res, 5));
      order.push(ds);
      running--;
    });
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), now: () => Date.UTC(2024, 0, 5, 1), pollMs: 20, dagsArePausedAtCreation: false });
    await s.start();
    const runs = await store.listDagRuns({ dagId: 'catchup' });
    assert.equal(runs.length, 4);
    await Promise.all(runs.map((r) => s.waitForRun('catchup', r.runId)));
    await s.stop();
    assert.deepEqual(order, ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']);
    assert.equal(maxRunning, 1, 'depends_on_past serialises the task across runs');
    assert.ok((await store.listDagRuns()).every((r) => r.state === 'success'));
  });

  it('depends_on_past waits for a previous run that has not started yet', async () => {
    const store = await JournalStore.open();
    const order: string[] = [];
    const d = dag({ id: 'past', schedule: '@daily', startDate: '2024-01-01' });
    d.task('free', () => 1);
    d.task('ordered', { dependsOnPast: true }, ({ ds }) => void order.push(ds));
    const executor = () => new InlineExecutor((_, id) => d.getTask(id));
    // This scheduler starts manual runs only: the backfill run of Jan 1 stays queued behind it.
    const manualOnly = new Scheduler({ store, dags: [d], executor: executor(), scheduleRuns: false, runTypes: ['manual'], pollMs: 20 });
    await manualOnly.start();
    await store.createDagRun(newDagRun(d, 'backfill', Date.UTC(2024, 0, 1), {}, Date.now()));
    const jan2 = await manualOnly.triggerRun('past', { logicalDate: Date.UTC(2024, 0, 2) });
    for (let i = 0; i < 100 && (await store.getTaskInstance({ dagId: 'past', runId: jan2.runId, taskId: 'free', mapIndex: -1 }))?.state !== 'success'; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    await manualOnly.stop();
    assert.equal((await store.getTaskInstance({ dagId: 'past', runId: jan2.runId, taskId: 'ordered', mapIndex: -1 }))?.state, 'none', 'blocked by the queued Jan 1 run');
    const all = new Scheduler({ store, dags: [d], executor: executor(), scheduleRuns: false, pollMs: 20 });
    await all.start();
    await all.waitForRun('past', jan2.runId);
    await all.stop();
    assert.deepEqual(order, ['2024-01-01', '2024-01-02']);
  });

  it('backfills a range with a cap on active runs; pools and maxActiveInstances limit concurrency', async () => {
    const store = await JournalStore.open();
    let active = 0;
    let peak = 0;
    const d = dag({ id: 'fill', schedule: '@daily', startDate: '2023-01-01' });
    d.task('t', { pool: 'db', maxActiveInstances: 3 }, async () => {
      peak = Math.max(peak, ++active);
      await new Promise((res) => setTimeout(res, 5));
      active--;
    });
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pools: { db: 2 }, pollMs: 20 });
    await s.start();
    const runs = await s.backfill('fill', Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 10), { maxActiveRuns: 5 });
    await s.stop();
    assert.equal(runs.length, 10);
    assert.ok(runs.every((r) => r.state === 'success' && r.runType === 'backfill'));
    assert.equal(peak, 2, 'the pool has 2 slots');
  });
});
