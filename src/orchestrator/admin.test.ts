import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { clearTaskInstances, markTaskInstances, selectTasks, setDagPaused, triggerDagRun } from './admin.ts';
import { drainInbox, pendingCommands, submitCommand } from './command-inbox.ts';
import { dag, type Dag } from './dag.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import type { MetadataStore } from './metadata-store.ts';
import { Scheduler } from './scheduler.ts';
import { failWithoutRetry } from './signals.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-admin-'));
after(() => rmSync(root, { recursive: true, force: true }));
const DAY = Date.UTC(2024, 0, 1);

function schedulerFor(store: MetadataStore, d: Dag, extra: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}) {
  return new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pollMs: 20, ...extra });
}
async function states(store: MetadataStore, dagId: string, runId: string) {
  const tis = await store.listTaskInstances({ dagId, runId });
  return Object.fromEntries(tis.map((t) => [`${t.taskId}${t.mapIndex >= 0 ? `[${t.mapIndex}]` : ''}`, t.state]));
}

describe('orchestrator admin: clear, mark, trigger, pause', () => {
  it('clears a failed task and its downstream; the run runs them again with fresh tries and kept logs', async () => {
    const store = await JournalStore.open();
    let broken = true;
    const runs: string[] = [];
    const d = dag({ id: 'clearable', schedule: '@daily', startDate: '2024-01-01', params: { n: 1 } });
    const a = d.task('a', () => void runs.push('a'));
    const b = d.task('b', ({ log }) => {
      runs.push('b');
      log('b runs');
      if (broken) failWithoutRetry('b is broken');
      return 2;
    });
    const c = d.task('c', { inputs: { b } }, ({ inputs }) => void runs.push(`c${inputs.b}`));
    a.then(b).then(c);
    assert.deepEqual(selectTasks(d, ['b'], { downstream: true }), ['b', 'c']);
    const s = schedulerFor(store, d);
    await s.start();
    const run = await triggerDagRun(store, d, { logicalDate: DAY, conf: { n: 5 } });
    assert.equal(run.runId, 'manual__2024-01-01T00:00:00.000Z');
    assert.deepEqual(run.conf, { n: 5 });
    await assert.rejects(triggerDagRun(store, d, { logicalDate: DAY }), /already has a run for 2024-01-01/);
    s.wake();
    assert.equal((await s.waitForRun(d.id, run.runId)).state, 'failed');
    assert.deepEqual(await states(store, d.id, run.runId), { a: 'success', b: 'failed', c: 'upstream_failed' });

    broken = false;
    const cleared = await clearTaskInstances(store, d, run.runId, ['b'], { downstream: true });
    assert.deepEqual(cleared.cleared.map((t) => t.taskId), ['b', 'c']);
    assert.equal(cleared.run.state, 'running');
    assert.deepEqual(await states(store, d.id, run.runId), { a: 'success', b: 'none', c: 'none' });
    s.wake();
    assert.equal((await s.waitForRun(d.id, run.runId)).state, 'success');
    await s.stop();
    assert.deepEqual(runs, ['a', 'b', 'b', 'c2'], 'a did not run again');
    const bTi = (await store.getTaskInstance({ dagId: d.id, runId: run.runId, taskId: 'b', mapIndex: -1 }))!;
    assert.deepEqual([bTi.state, bTi.tryNumber, bTi.maxTries], ['success', 2, 2]);
    assert.match(await store.readLog(bTi, 1), /b is broken/);
    assert.match(await store.readLog(bTi, 2), /b runs/);
    await assert.rejects(clearTaskInstances(store, d, 'nope', ['b']), /has no run 'nope'[^]*latest runs: manual__2024-01-01/);
    await assert.rejects(clearTaskInstances(store, d, run.runId, ['zzz']), /has no task 'zzz'/);
  });

  it('marks instances success or failed; a finished run takes the state its instances give', async () => {
    const store = await JournalStore.open();
    const d = dag({ id: 'markable', schedule: null, startDate: '2024-01-01' });
    d.task('x', () => failWithoutRetry('no')).then(d.task('y', () => 1));
    const s = schedulerFor(store, d);
    await s.start();
    const run = await triggerDagRun(store, d, { logicalDate: DAY });
    s.wake();
    await s.waitForRun(d.id, run.runId);
    await s.stop();
    let r = await markTaskInstances(store, d, run.runId, ['x'], 'success');
    assert.equal(r.run.state, 'failed', 'y is still upstream_failed');
    r = await markTaskInstances(store, d, run.runId, ['y'], 'success');
    assert.equal(r.run.state, 'success');
    r = await markTaskInstances(store, d, run.runId, ['x'], 'failed', { downstream: true });
    assert.deepEqual([r.run.state, r.marked.length], ['failed', 2]);
    assert.deepEqual(await states(store, d.id, run.runId), { x: 'failed', y: 'failed' });
  });

  it('refuses to clear or mark an instance that is running', async () => {
    const store = await JournalStore.open();
    let release: () => void = () => undefined;
    const d = dag({ id: 'busy', schedule: null, startDate: '2024-01-01' });
    d.task('slow', () => new Promise<void>((res) => (release = res)));
    const s = schedulerFor(store, d);
    await s.start();
    const run = await s.triggerRun(d.id, { logicalDate: DAY });
    for (let i = 0; i < 100 && (await states(store, d.id, run.runId)).slow !== 'running'; i++) await new Promise((res) => setTimeout(res, 10));
    await assert.rejects(clearTaskInstances(store, d, run.runId, ['slow']), /cannot clear 'slow': it is running/);
    await assert.rejects(markTaskInstances(store, d, run.runId, ['slow'], 'success'), /cannot mark success 'slow': it is running/);
    release();
    assert.equal((await s.waitForRun(d.id, run.runId)).state, 'success');
    await s.stop();
  });

  it('clearing a mapped task expands it again over the current list', async () => {
    const store = await JournalStore.open();
    let list = ['a', 'b', 'c'];
    const d = dag({ id: 'remap', schedule: null, startDate: '2024-01-01' });
    const items = d.task('items', () => list);
    d.task('each', { expand: { item: items } }, ({ inputs }) => inputs.item.toUpperCase());
    const s = schedulerFor(store, d);
    await s.start();
    const run = await s.triggerRun(d.id, { logicalDate: DAY });
    await s.waitForRun(d.id, run.runId);
    list = ['x', 'y'];
    await clearTaskInstances(store, d, run.runId, ['items'], { downstream: true });
    s.wake();
    assert.equal((await s.waitForRun(d.id, run.runId)).state, 'success');
    await s.stop();
    assert.deepEqual(await states(store, d.id, run.runId), { items: 'success', each: 'mapped', 'each[0]': 'success', 'each[1]': 'success', 'each[2]': 'skipped' });
    assert.deepEqual((await store.listXComs(d.id, run.runId, 'each')).map((x) => x.value), ['X', 'Y']);
  });

  it('a DAG new to the store starts paused (as Airflow dags_are_paused_at_creation), unless it or the scheduler says otherwise', async () => {
    const now = () => Date.UTC(2024, 0, 3, 12);
    const make = (id: string, o: { isPausedUponCreation?: boolean } = {}) => {
      const d = dag({ id, schedule: '@daily', startDate: '2024-01-01', ...o });
      d.task('t', () => 1);
      return d;
    };
    for (const [d, schedulerDefault, paused] of [[make('a'), undefined, true], [make('b', { isPausedUponCreation: false }), undefined, false], [make('c'), false, false], [make('d', { isPausedUponCreation: true }), false, true]] as const) {
      const store = await JournalStore.open();
      const s = schedulerFor(store, d, { scheduleRuns: true, now, ...(schedulerDefault !== undefined && { dagsArePausedAtCreation: schedulerDefault }) });
      await s.start();
      await s.tick();
      assert.equal((await store.getDag(d.id))?.isPaused, paused, d.id);
      assert.equal((await store.listDagRuns({ dagId: d.id })).length, paused ? 0 : 1, d.id);
      // Triggered runs run either way.
      const run = await s.triggerRun(d.id, { logicalDate: Date.UTC(2023, 11, 1) });
      assert.equal((await s.waitForRun(d.id, run.runId)).state, 'success');
      await s.stop();
    }
  });

  it('a paused DAG gets no scheduled runs; unpaused, it catches up', async () => {
    const store = await JournalStore.open();
    const d = dag({ id: 'pausable', schedule: '@daily', startDate: '2024-01-01', catchup: true });
    d.task('t', () => 1);
    await setDagPaused(store, d, true);
    const s = schedulerFor(store, d, { scheduleRuns: true, now: () => Date.UTC(2024, 0, 3, 12) });
    await s.start();
    await s.tick();
    assert.equal((await store.listDagRuns({ dagId: d.id })).length, 0);
    assert.equal((await store.getDag(d.id))?.isPaused, true, 'the scheduler kept the paused flag');
    await setDagPaused(store, d, false);
    await s.tick();
    assert.deepEqual((await store.listDagRuns({ dagId: d.id })).map((r) => r.runId), ['scheduled__2024-01-01T00:00:00.000Z', 'scheduled__2024-01-02T00:00:00.000Z']);
    await s.stop();
  });

  it('a running scheduler applies inbox commands at the start of a pass', async () => {
    const dir = join(root, 'inbox-store');
    const store = await JournalStore.open({ dir });
    const d = dag({ id: 'mailbox', schedule: null, startDate: '2024-01-01', params: { who: 'nobody' } });
    d.task('hello', ({ params }) => `hello ${String(params.who)}`);
    const reports: string[] = [];
    const dags = new Map([[d.id, d]]);
    const s = schedulerFor(store, d, { beforePass: () => drainInbox(dir, store, dags, (m, e) => void reports.push(e ? `${m}: ${(e as Error).message}` : m)).then(() => undefined) });
    await s.start();
    submitCommand(dir, { op: 'trigger', dagId: 'mailbox', logicalDate: DAY, conf: { who: 'riffle' } });
    submitCommand(dir, { op: 'pause', dagId: 'nope', paused: true });
    s.wake();
    const runId = 'manual__2024-01-01T00:00:00.000Z';
    for (let i = 0; i < 100 && !(await store.getDagRun(d.id, runId)); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal((await s.waitForRun(d.id, runId)).state, 'success');
    await s.stop();
    assert.equal((await store.getXCom({ dagId: d.id, runId, taskId: 'hello', mapIndex: -1 }))?.value, 'hello riffle');
    assert.equal(reports[0], `triggered mailbox ${runId}`);
    assert.match(reports[1]!, /refused: unknown dag 'nope'/);
    assert.deepEqual(pendingCommands(dir), []);
    assert.ok(existsSync(join(dir, 'inbox')));
    await store.close();
  });
});
