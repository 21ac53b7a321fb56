/**
 * The conformance suite every MetadataStore implementation runs: `runMetadataStoreSuite('journal', () => open())`.
 * `factory` returns a fresh, empty store; `reopen` (optional) returns the same store after a restart, to check that
 * state survives.
 * @example
 *   runMetadataStoreSuite('postgres', () => PostgresStore.connect(url, { schema: fresh() }));
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handBack, recordOutcome } from './attempt-outcome.ts';
import { dag } from './dag.ts';
import type { ClaimRequest, DagRunRecord, MetadataStore, TaskInstanceKey, TaskInstanceRecord } from './metadata-store.ts';
import type { Task } from './task.ts';

export interface StoreSuiteFactory {
  (): Promise<MetadataStore>;
}

export interface StoreSuiteOptions {
  /** Closes `store` and opens the same data again (omit for stores without persistence). */
  reopen?: (store: MetadataStore) => Promise<MetadataStore>;
}

const DAY = 86_400_000;

export function runFixture(dagId: string, day: number, over: Partial<DagRunRecord> = {}): DagRunRecord {
  const logicalDate = Date.UTC(2024, 0, 1) + day * DAY;
  return {
    dagId, runId: `scheduled__${new Date(logicalDate).toISOString()}`, runType: 'scheduled', state: 'queued', logicalDate,
    dataIntervalStart: logicalDate, dataIntervalEnd: logicalDate + DAY, conf: {}, queuedAt: 1, startDate: null, endDate: null, ...over,
  };
}

export function tiFixture(key: TaskInstanceKey, over: Partial<TaskInstanceRecord> = {}): TaskInstanceRecord {
  return {
    ...key, state: 'none', scheduledAt: null, tryNumber: 0, maxTries: 1, startDate: null, endDate: null, duration: null, hostname: null, pid: null,
    heartbeatAt: null, nextAttemptAt: null, firstAttemptAt: null, owner: null, error: null, updatedAt: 0, pool: 'default_pool', poolSlots: 1, ...over,
  };
}

/** The scheduler's default pool slots (`default_pool`: 128). */
const POOLS: Readonly<Record<string, number>> = { default_pool: 128 };

/** A claim request for `key` in `default_pool` (1 slot), without DAG or task limits unless given. */
export function claimRequest(key: TaskInstanceKey, over: Partial<ClaimRequest> = {}): ClaimRequest {
  return { dagId: key.dagId, runId: key.runId, taskId: key.taskId, mapIndex: key.mapIndex, pool: 'default_pool', poolSlots: 1, ...over };
}

export function runMetadataStoreSuite(name: string, factory: StoreSuiteFactory, opts: StoreSuiteOptions = {}): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    const withStore = (fn: (s: MetadataStore) => Promise<MetadataStore | void>) => async () => {
      const s = await factory();
      let last: MetadataStore = s;
      try {
        last = (await fn(s)) ?? s;
      } finally {
        await last.close();
      }
    };

    it('records DAGs and pauses them', withStore(async (s) => {
      await s.upsertDag({ dagId: 'b', fileloc: 'b.ts', schedule: '@daily', timezone: 'UTC', isPaused: false, tags: ['x'], description: null });
      await s.upsertDag({ dagId: 'a', fileloc: 'a.ts', schedule: null, timezone: 'UTC', isPaused: false, tags: [], description: 'A' });
      await s.setDagPaused('b', true);
      assert.deepEqual((await s.listDags()).map((d) => [d.dagId, d.isPaused]), [['a', false], ['b', true]]);
      assert.equal((await s.getDag('a'))?.description, 'A');
      assert.equal(await s.getDag('zzz'), undefined);
    }));

    it('creates a run once per run id and per logical date', withStore(async (s) => {
      assert.equal(await s.createDagRun(runFixture('d', 0)), true);
      assert.equal(await s.createDagRun(runFixture('d', 0)), false);
      assert.equal(await s.createDagRun(runFixture('d', 0, { runId: 'manual__x' })), false, 'same logical date');
      assert.equal(await s.createDagRun(runFixture('other', 0)), true, 'another dag may use the date');
    }));

    it('lists runs by logical date with filters, and finds the latest by type', withStore(async (s) => {
      for (const day of [2, 0, 1]) await s.createDagRun(runFixture('d', day));
      await s.createDagRun(runFixture('d', 5, { runType: 'backfill', runId: 'backfill__5' }));
      await s.updateDagRun('d', runFixture('d', 1).runId, { state: 'running', startDate: 10 });
      assert.deepEqual((await s.listDagRuns({ dagId: 'd' })).map((r) => r.logicalDate), [0, 1, 2, 5].map((d) => Date.UTC(2024, 0, 1) + d * DAY));
      assert.deepEqual((await s.listDagRuns({ states: ['running'] })).map((r) => r.runId), [runFixture('d', 1).runId]);
      assert.equal((await s.latestDagRun('d', ['scheduled']))?.runId, runFixture('d', 2).runId);
      assert.equal((await s.latestDagRun('d'))?.runId, 'backfill__5');
    }));

    it('updates runs compare-and-set on state', withStore(async (s) => {
      const r = runFixture('d', 0);
      await s.createDagRun(r);
      assert.equal(await s.updateDagRun('d', r.runId, { state: 'running' }, ['queued']), true);
      assert.equal(await s.updateDagRun('d', r.runId, { state: 'running' }, ['queued']), false);
      assert.equal((await s.getDagRun('d', r.runId))?.state, 'running');
      assert.equal(await s.updateDagRun('d', 'nope', { state: 'failed' }), false);
    }));

    it('creates task instances idempotently and lists them by run, task and state', withStore(async (s) => {
      const key = (taskId: string, runId = 'r1', mapIndex = -1) => ({ dagId: 'd', runId, taskId, mapIndex });
      await s.createTaskInstances([tiFixture(key('a')), tiFixture(key('b')), tiFixture(key('a', 'r2'))]);
      await s.createTaskInstances([tiFixture(key('a'), { state: 'failed' })]);
      assert.equal((await s.getTaskInstance(key('a')))?.state, 'none', 'existing instance untouched');
      await s.updateTaskInstance(key('b'), { state: 'running' });
      assert.deepEqual((await s.listTaskInstances({ dagId: 'd', runId: 'r1' })).map((t) => t.taskId).sort(), ['a', 'b']);
      assert.deepEqual((await s.listTaskInstances({ states: ['running'] })).map((t) => t.taskId), ['b']);
      assert.deepEqual((await s.listTaskInstances({ dagId: 'd', taskId: 'a' })).map((t) => t.runId).sort(), ['r1', 'r2']);
    }));

    it('keeps map instances apart', withStore(async (s) => {
      const k = (mapIndex: number) => ({ dagId: 'd', runId: 'r', taskId: 'm', mapIndex });
      await s.createTaskInstances([tiFixture(k(-1)), tiFixture(k(0)), tiFixture(k(1))]);
      await s.updateTaskInstance(k(1), { state: 'success' });
      assert.deepEqual((await s.listTaskInstances({ dagId: 'd', runId: 'r' })).map((t) => [t.mapIndex, t.state]).sort(), [[-1, 'none'], [0, 'none'], [1, 'success']]);
    }));

    it('updates task instances compare-and-set on state and try number', withStore(async (s) => {
      const k = { dagId: 'd', runId: 'r', taskId: 't', mapIndex: -1 };
      await s.createTaskInstances([tiFixture(k, { state: 'running', tryNumber: 2 })]);
      assert.equal(await s.updateTaskInstance(k, { state: 'success' }, { states: ['running'], tryNumber: 1 }), false, 'stale try');
      assert.equal(await s.updateTaskInstance(k, { state: 'success' }, { states: ['queued'] }), false, 'wrong state');
      assert.equal(await s.updateTaskInstance(k, { state: 'success', duration: 5, scheduledAt: 1_700_000_000_123 }, { states: ['running'], tryNumber: 2 }), true);
      const ti = await s.getTaskInstance(k);
      assert.equal(ti?.state, 'success');
      assert.equal(ti?.duration, 5);
      assert.equal(ti?.scheduledAt, 1_700_000_000_123, 'times are ms since the epoch, as numbers');
      assert.equal(await s.updateTaskInstance({ ...k, taskId: 'none' }, { state: 'failed' }), false);
    }));

    it('claims each scheduled instance once, up to the limit', withStore(async (s) => {
      const keys = ['a', 'b', 'c'].map((taskId) => ({ dagId: 'd', runId: 'r', taskId, mapIndex: -1 }));
      await s.createTaskInstances(keys.map((k, i) => tiFixture(k, { state: i === 2 ? 'none' : 'scheduled' })));
      const reqs = keys.map((k) => claimRequest(k));
      const first = await s.claimTaskInstances(reqs, 'sched-1', { limit: 1, pools: POOLS });
      assert.deepEqual(first.map((t) => [t.taskId, t.state, t.owner]), [['a', 'queued', 'sched-1']]);
      const second = await s.claimTaskInstances(reqs, 'sched-2', { limit: 10, pools: POOLS });
      assert.deepEqual(second.map((t) => t.taskId), ['b'], 'a is taken, c is not scheduled');
      assert.deepEqual(await s.claimTaskInstances(reqs, 'sched-3', { limit: 10, pools: POOLS }), []);
      assert.deepEqual(await s.claimTaskInstances([], 'sched-3', { limit: 10, pools: POOLS }), []);
      await assert.rejects(s.claimTaskInstances(reqs, 'x', { limit: -1, pools: POOLS }), /limit must be an integer ≥ 0/);
      await assert.rejects(s.claimTaskInstances([claimRequest(keys[2]!, { poolSlots: 0 })], 'x', { limit: 1, pools: POOLS }), /asks for 0 slots of pool 'default_pool'/);
    }));

    it('claims only within free pool slots, counting queued and running instances and recording the pool', withStore(async (s) => {
      const k = (taskId: string, runId = 'r') => ({ dagId: 'd', runId, taskId, mapIndex: -1 });
      // db has 4 slots: 'busy' (running, 1 slot) and 'held' (queued elsewhere, 2 slots) already take 3.
      await s.createTaskInstances([
        tiFixture(k('busy', 'r0'), { state: 'running', pool: 'db', poolSlots: 1 }), tiFixture(k('held', 'r0'), { state: 'queued', pool: 'db', poolSlots: 2 }),
        tiFixture(k('done', 'r0'), { state: 'success', pool: 'db', poolSlots: 4 }),
        ...['big', 'small', 'other', 'nopool', 'last'].map((t) => tiFixture(k(t), { state: 'scheduled' })),
      ]);
      const reqs = [
        claimRequest(k('big'), { pool: 'db', poolSlots: 2 }), // does not fit in the 1 free slot: passed over
        claimRequest(k('small'), { pool: 'db' }), // fits, and fills db
        claimRequest(k('other'), { pool: 'default_pool' }), // another pool
        claimRequest(k('nopool'), { pool: 'unknown' }), // a pool without slots
        claimRequest(k('last'), { pool: 'db' }), // db is full now
      ];
      const got = await s.claimTaskInstances(reqs, 'me', { limit: 10, pools: { ...POOLS, db: 4 } });
      assert.deepEqual(got.map((t) => [t.taskId, t.pool, t.poolSlots]), [['small', 'db', 1], ['other', 'default_pool', 1]]);
      assert.equal((await s.getTaskInstance(k('small')))?.pool, 'db', 'the pool is recorded on the instance');
      await s.updateTaskInstance(k('held', 'r0'), { state: 'success' });
      const after = await s.claimTaskInstances(reqs, 'me', { limit: 10, pools: { ...POOLS, db: 4 } });
      assert.deepEqual(after.map((t) => t.taskId), ['big'], 'two slots freed: big fits, then db is full again');
    }));

    it('claims within the DAG and task limits, over all runs', withStore(async (s) => {
      const k = (taskId: string, runId: string) => ({ dagId: 'd', runId, taskId, mapIndex: -1 });
      await s.createTaskInstances([
        tiFixture(k('t', 'r0'), { state: 'running' }),
        ...['r1', 'r2', 'r3'].flatMap((r) => [tiFixture(k('t', r), { state: 'scheduled' }), tiFixture(k('u', r), { state: 'scheduled' })]),
        tiFixture({ dagId: 'e', runId: 'r1', taskId: 't', mapIndex: -1 }, { state: 'scheduled' }),
      ]);
      const limits = { maxActiveTasks: 3, maxActiveInstances: 2 };
      const reqs = [
        ...['r1', 'r2', 'r3'].flatMap((r) => [claimRequest(k('t', r), limits), claimRequest(k('u', r), limits)]),
        claimRequest({ dagId: 'e', runId: 'r1', taskId: 't', mapIndex: -1 }, limits),
      ];
      const got = await s.claimTaskInstances(reqs, 'me', { limit: 10, pools: POOLS });
      // d: t@r0 runs, so t gets one more (2 instances of t) and u one (3 in d); dag e has its own limits.
      assert.deepEqual(got.map((t) => `${t.dagId}.${t.taskId}@${t.runId}`), ['d.t@r1', 'd.u@r1', 'e.t@r1']);
    }));

    it('never lets concurrent claimers exceed a pool, a DAG or a task limit together', withStore(async (s) => {
      // Claimers race over the same scheduled instances, in rounds: each round frees what the last one claimed.
      // Without one atomic count-and-claim, claimers that count at the same instant overshoot together.
      const keys = Array.from({ length: 60 }, (_, i) => ({ dagId: i % 2 === 0 ? 'd' : 'e', runId: `r${i % 5}`, taskId: `t${i % 3}`, mapIndex: i }));
      await s.createTaskInstances(keys.map((k) => tiFixture(k, { state: 'scheduled' })));
      const reqs = keys.map((k) => claimRequest(k, k.dagId === 'd' ? { pool: 'db', poolSlots: 1 + (k.mapIndex % 2) } : { pool: 'db', maxActiveTasks: 2, maxActiveInstances: 1 }));
      const pools = { default_pool: 128, db: 5 };
      for (let round = 0, total = 0; total < keys.length; round++) {
        assert.ok(round < 60, 'claims make progress');
        const got = (await Promise.all(Array.from({ length: 6 }, (_, i) => s.claimTaskInstances(reqs, `claimer-${i}`, { limit: 3, pools })))).flat();
        assert.equal(new Set(got.map((t) => `${t.runId}/${t.taskId}/${t.mapIndex}`)).size, got.length, 'no instance claimed twice');
        const active = await s.listTaskInstances({ states: ['queued'] });
        const slots = active.reduce((n, t) => n + t.poolSlots, 0);
        assert.ok(slots <= 5, `round ${round}: ${slots} slots of db taken (5 exist)`);
        const ofE = active.filter((t) => t.dagId === 'e');
        assert.ok(ofE.length <= 2, `round ${round}: dag e has ${ofE.length} active instances (maxActiveTasks 2)`);
        for (const taskId of ['t0', 't1', 't2']) assert.ok(ofE.filter((t) => t.taskId === taskId).length <= 1, `round ${round}: e.${taskId} over maxActiveInstances 1`);
        assert.ok(got.length > 0, `round ${round} claimed something`);
        await Promise.all(active.map((t) => s.updateTaskInstance(t, { state: 'success' }, { states: ['queued'] })));
        total += got.length;
      }
    }));

    it('returns copies, not live records', withStore(async (s) => {
      const k = { dagId: 'd', runId: 'r', taskId: 't', mapIndex: -1 };
      await s.createTaskInstances([tiFixture(k)]);
      const ti = (await s.getTaskInstance(k))!;
      ti.state = 'failed';
      assert.equal((await s.getTaskInstance(k))?.state, 'none');
      await s.setXCom({ ...k, key: 'return_value', value: { rows: [1] } });
      const x = (await s.getXCom(k))!;
      (x.value as { rows: number[] }).rows.push(2);
      assert.deepEqual((await s.getXCom(k))?.value, { rows: [1] });
    }));

    it('stores, lists and clears XComs', withStore(async (s) => {
      const k = (taskId: string, mapIndex = -1) => ({ dagId: 'd', runId: 'r', taskId, mapIndex });
      await s.setXCom({ ...k('a'), key: 'return_value', value: 1 });
      await s.setXCom({ ...k('a'), key: 'return_value', value: 2 });
      await s.setXCom({ ...k('m', 1), key: 'return_value', value: 'y' });
      await s.setXCom({ ...k('m', 0), key: 'return_value', value: 'x' });
      await s.setXCom({ ...k('m', 0), key: 'extra', value: null });
      assert.equal((await s.getXCom(k('a')))?.value, 2);
      assert.equal(await s.getXCom(k('b')), undefined);
      assert.deepEqual((await s.listXComs('d', 'r', 'm')).map((x) => [x.mapIndex, x.key, x.value]), [[0, 'extra', null], [0, 'return_value', 'x'], [1, 'return_value', 'y']]);
      await s.clearXComs(k('m', 0));
      assert.deepEqual((await s.listXComs('d', 'r')).map((x) => [x.taskId, x.mapIndex]), [['a', -1], ['m', 1]]);
    }));

    it('keeps logs per attempt', withStore(async (s) => {
      const k = { dagId: 'd', runId: 'manual__2024-01-01T00:00:00+00:00', taskId: 'g.t', mapIndex: 3 };
      await s.appendLog(k, 1, 'first\n');
      await s.appendLog(k, 1, 'more\n');
      await s.appendLog(k, 2, 'second\n');
      assert.equal(await s.readLog(k, 1), 'first\nmore\n');
      assert.equal(await s.readLog(k, 2), 'second\n');
      assert.equal(await s.readLog(k, 3), '');
    }));

    it('takeover: a worker records its own outcome once; a handed-back attempt gives its try back and its late outcome changes nothing', withStore(async (s) => {
      // What a restarted scheduler and the workers of a dead one do to the store (takeover.ts, task-runner.ts).
      const d = dag({ id: 'adopt', schedule: null, startDate: '2024-01-01' });
      const task = d.task('t', () => 1) as Task<unknown>;
      const ctx = (id: string) => ({ id, store: s, dags: new Map([[d.id, d]]), now: () => 5_000, dag: () => d, notify: () => undefined });
      const done = { dagId: 'adopt', runId: 'r', taskId: 't', mapIndex: -1 };
      const back = { ...done, mapIndex: 0 };
      await s.createTaskInstances([tiFixture(done, { state: 'running', tryNumber: 1, maxTries: 1, owner: 'dead', startDate: 1_000 }), tiFixture(back, { state: 'running', tryNumber: 2, maxTries: 3, owner: 'dead', pid: 42 })]);
      // Adopted by a new scheduler (compare-and-set on state and try), then the worker records success itself.
      assert.equal(await s.updateTaskInstance(done, { owner: 'new' }, { states: ['running'], tryNumber: 1 }), true);
      await recordOutcome(ctx('worker'), { key: done, tryNumber: 1, task }, { state: 'success', value: 7 });
      await recordOutcome(ctx('new'), { key: done, tryNumber: 1, task }, { state: 'failed', error: 'late copy', retryable: true });
      const ti = await s.getTaskInstance(done);
      assert.deepEqual([ti?.state, ti?.tryNumber, ti?.error, ti?.duration], ['success', 1, null, 4_000], 'the first outcome counts, once');
      assert.equal((await s.getXCom(done))?.value, 7);
      // Its worker vanished while no scheduler ran: handed back, try 2 not counted, once.
      assert.equal(await handBack(ctx('new'), { key: back, tryNumber: 2 }, 'worker gone'), true);
      assert.equal(await handBack(ctx('other'), { key: back, tryNumber: 2 }, 'worker gone'), false, 'a second takeover finds nothing to hand back');
      const b = await s.getTaskInstance(back);
      assert.deepEqual([b?.state, b?.tryNumber, b?.owner, b?.pid], ['scheduled', 1, null, null]);
      assert.match(await s.readLog(back, 2), /worker gone; handed back without counting a try/);
      await recordOutcome(ctx('worker'), { key: back, tryNumber: 2, task }, { state: 'success', value: 1 });
      assert.equal((await s.getTaskInstance(back))?.state, 'scheduled', "the handed-back attempt's late outcome is not recorded");
    }));

    if (opts.reopen) {
      const reopen = opts.reopen;
      it('survives a restart: DAGs, runs, task instances, XComs and logs', withStore(async (s) => {
        const k = { dagId: 'd', runId: runFixture('d', 0).runId, taskId: 't', mapIndex: -1 };
        await s.upsertDag({ dagId: 'd', fileloc: 'd.ts', schedule: '@daily', timezone: 'UTC', isPaused: true, tags: [], description: null });
        await s.createDagRun(runFixture('d', 0));
        await s.updateDagRun('d', k.runId, { state: 'running' });
        await s.createTaskInstances([tiFixture(k)]);
        await s.updateTaskInstance(k, { state: 'up_for_retry', tryNumber: 1, error: 'boom' });
        await s.setXCom({ ...k, key: 'return_value', value: { n: 1 } });
        await s.appendLog(k, 1, 'hello\n');
        const again = await reopen(s);
        assert.equal((await again.getDag('d'))?.isPaused, true);
        assert.equal((await again.getDagRun('d', k.runId))?.state, 'running');
        const ti = await again.getTaskInstance(k);
        assert.deepEqual([ti?.state, ti?.tryNumber, ti?.error], ['up_for_retry', 1, 'boom']);
        assert.deepEqual((await again.getXCom(k))?.value, { n: 1 });
        assert.equal(await again.readLog(k, 1), 'hello\n');
        assert.equal(await again.createDagRun(runFixture('d', 0)), false, 'uniqueness survives too');
        return again;
      }));
    }
  });
}
