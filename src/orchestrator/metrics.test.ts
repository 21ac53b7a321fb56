import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import { runFixture, tiFixture } from './metadata-store-suite.ts';
import { orchestratorMetrics, summarize } from './metrics.ts';
import { Scheduler } from './scheduler.ts';

describe('orchestratorMetrics', () => {
  it('summarizes with nearest-rank percentiles', () => {
    assert.deepEqual(summarize([]), { count: 0, p50Ms: null, p95Ms: null, maxMs: null });
    assert.deepEqual(summarize([5]), { count: 1, p50Ms: 5, p95Ms: 5, maxMs: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    assert.deepEqual(summarize(hundred), { count: 100, p50Ms: 50, p95Ms: 95, maxMs: 100 });
  });

  it('counts runs and instances by state, durations per task, queue latency, pools and failures', async () => {
    const store = await JournalStore.open();
    const d = dag({ id: 'm', schedule: '@daily', startDate: '2024-01-01' });
    d.task('load', { pool: 'db', poolSlots: 2 }, () => 1);
    d.task('report', () => 1);
    const r = (day: number, over = {}) => runFixture('m', day, { queuedAt: 1000 * day, ...over });
    await store.createDagRun(r(0, { state: 'success', startDate: 0, endDate: 100 }));
    await store.createDagRun(r(1, { state: 'success', startDate: 0, endDate: 300 }));
    await store.createDagRun(r(2, { state: 'failed', startDate: 0, endDate: 50 }));
    await store.createDagRun(r(3, { state: 'running', startDate: 0 }));
    await store.createDagRun(runFixture('other', 0, { queuedAt: 0 }));
    const k = (day: number, taskId: string) => ({ dagId: 'm', runId: r(day).runId, taskId, mapIndex: -1 });
    await store.createTaskInstances([
      tiFixture(k(0, 'load'), { state: 'success', duration: 10, scheduledAt: 1000, startDate: 1004, tryNumber: 1 }),
      tiFixture(k(1, 'load'), { state: 'success', duration: 30, scheduledAt: 2000, startDate: 2010, tryNumber: 2 }),
      tiFixture(k(2, 'load'), { state: 'failed', duration: 5, scheduledAt: 3000, startDate: 3020, endDate: 3025, tryNumber: 3, error: 'disk full' }),
      tiFixture(k(2, 'report'), { state: 'upstream_failed' }),
      tiFixture(k(3, 'load'), { state: 'running', scheduledAt: 4000, startDate: 4100, tryNumber: 1, pool: 'db', poolSlots: 2 }),
      tiFixture(k(3, 'report'), { state: 'none' }),
    ]);
    const m = await orchestratorMetrics(store, { dagId: 'm', dags: [d], pools: { db: 4 } });
    assert.deepEqual(m.runs.byState, { queued: 0, running: 1, success: 2, failed: 1 });
    assert.equal(m.runs.total, 4, 'another DAG is left out');
    assert.deepEqual(m.taskInstances.byState, { success: 2, failed: 1, upstream_failed: 1, running: 1, none: 1 });
    assert.deepEqual(m.runDurations, [{ dagId: 'm', count: 3, p50Ms: 100, p95Ms: 300, maxMs: 300 }]);
    assert.deepEqual(m.tasks.find((t) => t.taskId === 'load'), { dagId: 'm', taskId: 'load', failed: 1, retried: 2, count: 2, p50Ms: 10, p95Ms: 30, maxMs: 30 });
    assert.deepEqual(m.queueLatency, { count: 4, p50Ms: 10, p95Ms: 100, maxMs: 100 });
    assert.deepEqual(m.pools, [{ pool: 'db', slots: 4, used: 2, queued: 0, running: 1 }, { pool: 'default_pool', slots: 128, used: 0, queued: 0, running: 0 }]);
    assert.deepEqual(m.failures, [{ dagId: 'm', runId: r(2).runId, taskId: 'load', mapIndex: -1, tryNumber: 3, endDate: 3025, error: 'disk full' }]);
    // since: runs queued from day 2 on, and every active run
    const recent = await orchestratorMetrics(store, { dagId: 'm', since: 2000 });
    assert.deepEqual(recent.runs.byState, { queued: 0, running: 1, success: 0, failed: 1 });
    assert.equal(recent.taskInstances.total, 4);
  });

  it('sees the queue latency the scheduler records (ready → started)', async () => {
    const store = await JournalStore.open();
    const d = dag({ id: 'q', schedule: null, startDate: '2024-01-01' });
    d.task('a', () => 1).then(d.task('b', () => 2));
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pollMs: 20 });
    await s.start();
    await s.waitForRun('q', (await s.triggerRun('q', { logicalDate: Date.UTC(2024, 0, 1) })).runId);
    await s.stop();
    const tis = await store.listTaskInstances({ dagId: 'q' });
    assert.ok(tis.every((t) => t.scheduledAt !== null && t.startDate! >= t.scheduledAt), 'every started instance has its ready time');
    const m = await orchestratorMetrics(store);
    assert.equal(m.queueLatency.count, 2);
    assert.equal(m.tasks.length, 2);
    assert.equal(m.runs.byState.success, 1);
  });
});
