import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dag } from './dag.ts';
import { resolveParams } from './dag-params.ts';
import { testDag } from './dag-test.ts';
import { InlineExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import { Scheduler } from './scheduler.ts';

const gate = () => dag({
  id: 'gate', schedule: '@daily', startDate: '2024-01-01',
  params: {
    errorRateThreshold: 0.05,
    name: 'world',
    dryRun: false,
    tags: ['a'],
    retries: { type: 'integer', default: 2, min: 0, max: 5, description: 'how often' },
    mode: { type: 'string', default: 'full', enum: ['full', 'incremental'] },
    day: { type: 'date', default: '2024-01-01' },
    at: { type: 'datetime', default: '2024-01-01T06:00:00Z' },
  },
});

describe('DAG params', () => {
  it('a bare default gives the type; { type, default } declares one', () => {
    const d = gate();
    assert.deepEqual(Object.fromEntries(Object.entries(d.paramSpecs).map(([k, s]) => [k, s.type])), {
      errorRateThreshold: 'number', name: 'string', dryRun: 'boolean', tags: 'json', retries: 'integer', mode: 'string', day: 'date', at: 'datetime',
    });
    assert.deepEqual(d.params, { errorRateThreshold: 0.05, name: 'world', dryRun: false, tags: ['a'], retries: 2, mode: 'full', day: '2024-01-01', at: '2024-01-01T06:00:00Z' });
  });

  it('reads command-line text as the param type and merges over the defaults', () => {
    const p = resolveParams(gate(), [['errorRateThreshold', '0.1'], ['dryRun', 'true'], ['tags', '["x","y"]'], ['retries', '3'], ['mode', 'incremental'], ['name', '42']], 'text');
    assert.deepEqual(p, { errorRateThreshold: 0.1, name: '42', dryRun: true, tags: ['x', 'y'], retries: 3, mode: 'incremental', day: '2024-01-01', at: '2024-01-01T06:00:00Z' });
  });

  it('refuses bad values and unknown names, all at once, naming param, value and what is expected', () => {
    assert.throws(() => resolveParams(gate(), [['errorRateThreshold', 'abc'], ['errorRateTreshold', '1'], ['retries', '9'], ['mode', 'some'], ['day', '2024-02-30'], ['dryRun', 'maybe']], 'text'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /--errorRateThreshold: "abc" is not a number; expected a number \(default 0\.05\)/);
      assert.match(e.message, /--errorRateTreshold: unknown param; did you mean 'errorRateThreshold'\?/);
      assert.match(e.message, /--retries: "9" is above the maximum 5; expected an integer ≥ 0 and ≤ 5/);
      assert.match(e.message, /--mode: "some" is not one of "full", "incremental"/);
      assert.match(e.message, /--day: "2024-02-30" is not a date/);
      assert.match(e.message, /--dryRun: "maybe" is not true or false/);
      return true;
    });
  });

  it('typed values (code, JSON --conf) must already have the type', () => {
    assert.throws(() => resolveParams(gate(), { errorRateThreshold: '0.1' }, 'typed'), /"0\.1" is not a number/);
    assert.throws(() => resolveParams(gate(), { retries: 1.5 }, 'typed'), /is not an integer/);
    assert.equal(resolveParams(gate(), { errorRateThreshold: 0.2 }, 'typed').errorRateThreshold, 0.2);
  });

  it('checks definitions: bad type, bad default, required params on a scheduled DAG', () => {
    assert.throws(() => dag({ id: 'x', schedule: null, startDate: '2024-01-01', params: { n: { type: 'nubmer', default: 1 } } }), /unknown type 'nubmer'[\s\S]*did you mean 'number'/);
    assert.throws(() => dag({ id: 'x', schedule: null, startDate: '2024-01-01', params: { n: { type: 'integer', default: 1.5 } } }), /the default of param 'n' is not an integer/);
    assert.throws(() => dag({ id: 'x', schedule: '@daily', startDate: '2024-01-01', params: { n: { type: 'integer' } } }), /have no default, but the DAG has a schedule/);
    const manual = dag({ id: 'x', schedule: null, startDate: '2024-01-01', params: { n: { type: 'integer' } } });
    assert.throws(() => resolveParams(manual, {}, 'typed'), /n: required \(no default\)/);
    // An object that is not a declaration is a JSON default.
    assert.deepEqual(dag({ id: 'y', schedule: null, startDate: '2024-01-01', params: { cfg: { type: 'x', size: 1 } } }).params, { cfg: { type: 'x', size: 1 } });
  });

  it('a run never starts with a bad value: testDag and triggered runs are checked', async () => {
    const d = gate();
    let seen: unknown;
    d.task('check', ({ params }) => void (seen = params.errorRateThreshold));
    await assert.rejects(testDag(d, Date.UTC(2024, 0, 1), { conf: { errorRateThreshold: 'abc' } }), /errorRateThreshold: "abc" is not a number/);
    assert.equal(seen, undefined, 'nothing ran');
    const r = await testDag(d, Date.UTC(2024, 0, 1), { conf: { errorRateThreshold: 0.5 } });
    assert.equal(r.run.state, 'success');
    assert.equal(seen, 0.5);
  });

  it('a stored run whose conf its params refuse (written by an earlier version) fails with the reason, running nothing', async () => {
    const d = gate();
    let ran = false;
    d.task('check', () => void (ran = true));
    const store = await JournalStore.open();
    const run = { dagId: 'gate', runId: 'manual__old', runType: 'manual' as const, state: 'queued' as const, logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 1, conf: { errorRateThreshold: 'abc', gone: 1 }, queuedAt: 0, startDate: null, endDate: null };
    await store.createDagRun(run);
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pollMs: 20 });
    await s.start();
    assert.equal((await s.waitForRun('gate', 'manual__old')).state, 'failed');
    await s.stop();
    const [ti] = await store.listTaskInstances({ dagId: 'gate', runId: 'manual__old' });
    assert.equal(ti!.state, 'failed');
    assert.match(ti!.error!, /conf errorRateThreshold: "abc" is not a number/);
    assert.equal(ran, false);
    await store.close();
  });

  it('a stored run of an earlier version with text for a number is coerced before it starts', async () => {
    const d = gate();
    let seen: unknown;
    d.task('check', ({ params }) => void (seen = params.errorRateThreshold));
    const store = await JournalStore.open();
    await store.createDagRun({ dagId: 'gate', runId: 'manual__text', runType: 'manual', state: 'queued', logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 1, conf: { errorRateThreshold: '0.2' }, queuedAt: 0, startDate: null, endDate: null });
    const s = new Scheduler({ store, dags: [d], executor: new InlineExecutor((_, id) => d.getTask(id)), scheduleRuns: false, pollMs: 20 });
    await s.start();
    assert.equal((await s.waitForRun('gate', 'manual__text')).state, 'success');
    await s.stop();
    assert.equal(seen, 0.2);
    assert.equal((await store.getDagRun('gate', 'manual__text'))?.conf.errorRateThreshold, 0.2);
    await store.close();
  });
});
