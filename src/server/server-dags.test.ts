// riffle server DAG routes over the orchestrator store (DIR/orchestrator): trigger (through `riffle dag trigger` in
// a child process), runs, task instances, task logs, clear, mark, pause, their errors (404 unknown, 409 refused),
// and the store's counts in /metrics.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JournalStore, type TaskInstanceRecord } from '../orchestrator/index.ts';
import { call, makeProject, startTestServer } from './fixtures/test-server.ts';
import type { RiffleServer } from './riffle-server.ts';

const { project, dir, cleanup } = makeProject('server-dags');
let server: RiffleServer;
before(async () => {
  server = await startTestServer(project, dir);
});
after(async () => {
  await server.close();
  cleanup();
});

type ErrorBody = { error: { code: string; message: string; key?: string | null } };
const RUN = 'manual__2024-03-01T00:00:00.000Z';

/** Gives the run task instances as a scheduler would have (a succeeded `a` with a log, a failed `b`). */
async function startRun(): Promise<void> {
  const store = await JournalStore.open({ dir: join(dir, 'orchestrator') });
  try {
    const base = { dagId: 'demo', runId: RUN, mapIndex: -1, scheduledAt: 1, maxTries: 1, hostname: null, pid: null, heartbeatAt: null, nextAttemptAt: null, firstAttemptAt: null, owner: null, pool: 'default_pool', poolSlots: 1, updatedAt: Date.now() };
    const tis: TaskInstanceRecord[] = [
      { ...base, taskId: 'a', state: 'success', tryNumber: 1, startDate: Date.parse('2024-03-02T00:00:00Z'), endDate: Date.parse('2024-03-02T00:00:01Z'), duration: 1000, error: null },
      { ...base, taskId: 'b', state: 'failed', tryNumber: 1, startDate: Date.parse('2024-03-02T00:00:01Z'), endDate: Date.parse('2024-03-02T00:00:02Z'), duration: 1000, error: 'boom' },
    ];
    await store.createTaskInstances(tis);
    await store.appendLog({ dagId: 'demo', runId: RUN, taskId: 'a', mapIndex: -1 }, 1, 'a said hello\n');
    await store.setXCom({ dagId: 'demo', runId: RUN, taskId: 'a', mapIndex: -1, key: 'return_value', value: { state: 'DONE', inputs: [{ namespace: 'file', name: '/data/in.csv' }], outputs: [{ namespace: 'file', name: '/data/out' }] } });
    assert.ok(await store.updateDagRun('demo', RUN, { state: 'failed', startDate: Date.parse('2024-03-02T00:00:00Z'), endDate: Date.parse('2024-03-02T00:00:02Z') }));
  } finally {
    await store.close();
  }
}

describe('riffle server DAG routes', () => {
  it('lists nothing before the store exists, and 404s an unknown DAG', async () => {
    assert.deepEqual((await call(server, 'GET', '/api/dags')).body, { dags: [] });
    const r = await call<ErrorBody>(server, 'GET', '/api/dags/demo/runs');
    assert.deepEqual([r.status, r.body.error.code], [404, 'DAG_NOT_FOUND']);
  });

  it('triggers a run, lists runs and task instances, reads a task log, clears and marks, pauses', async () => {
    let r = await call(server, 'POST', '/api/dags/demo/trigger', { body: { conf: { n: 3 }, logicalDate: '2024-03-01' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual((r.body as { run: { runId: string; conf: unknown } }).run.runId, RUN);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/demo/trigger', { body: { logicalDate: '2024-03-01' } });
    assert.deepEqual([r.status, (r.body as ErrorBody).error.code], [409, 'RUN_EXISTS']);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/nope/trigger', { body: {} });
    assert.equal(r.status, 404, r.text);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/demo/trigger', { body: { conf: { n: 'three' } } });
    assert.equal(r.status, 400, r.text);

    const dags = await call<{ dags: Array<{ dagId: string; isPaused: boolean }> }>(server, 'GET', '/api/dags');
    assert.deepEqual(dags.body.dags.map((d) => d.dagId), ['demo']);
    const runs = await call<{ runs: Array<{ runId: string; state: string; logicalDate: string; conf: Record<string, unknown> }> }>(server, 'GET', '/api/dags/demo/runs?state=queued');
    assert.deepEqual(runs.body.runs.map((x) => [x.runId, x.state, x.logicalDate, x.conf.n]), [[RUN, 'queued', '2024-03-01T00:00:00.000Z', 3]]);
    r = await call<ErrorBody>(server, 'POST', `/api/dags/demo/runs/${RUN}/clear`, { body: { tasks: ['a'] } });
    assert.deepEqual([r.status, (r.body as ErrorBody).error.code], [409, 'RUN_NOT_STARTED']);

    await startRun();
    const tasks = await call<{ run: { state: string }; tasks: Array<{ taskId: string; state: string; startDate: string }> }>(server, 'GET', `/api/dags/demo/runs/${RUN}/tasks`);
    assert.equal(tasks.status, 200, tasks.text);
    assert.equal(tasks.body.run.state, 'failed');
    assert.deepEqual(tasks.body.tasks.map((t) => [t.taskId, t.state, t.startDate]).sort(), [['a', 'success', '2024-03-02T00:00:00.000Z'], ['b', 'failed', '2024-03-02T00:00:01.000Z']]);
    const log = await call<{ log: string; try: number }>(server, 'GET', `/api/dags/demo/runs/${RUN}/tasks/a/logs`);
    assert.deepEqual([log.status, log.body.log, log.body.try], [200, 'a said hello\n', 1]);
    assert.equal((await call(server, 'GET', `/api/dags/demo/runs/${RUN}/tasks/zz/logs`)).status, 404);
    assert.equal((await call(server, 'GET', `/api/dags/demo/runs/${RUN}/tasks/a/logs?try=2`)).status, 404);
    assert.equal((await call(server, 'GET', '/api/dags/demo/runs/nope/tasks')).status, 404);

    // The attempts' OpenLineage events: START then COMPLETE (with the datasets its value names) or FAIL, once each.
    type Lineage = { events: Array<{ eventType: string; eventTime: string; run: { runId: string; facets: { parent?: { run: { runId: string }; job: { name: string } }; errorMessage?: { message: string } } }; job: { name: string }; inputs: Array<{ name: string }>; outputs: Array<{ name: string }> }> };
    const a = await call<Lineage>(server, 'GET', '/api/lineage?name=demo.a');
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.body.events.map((e) => [e.eventType, e.eventTime]), [['START', '2024-03-02T00:00:00.000Z'], ['COMPLETE', '2024-03-02T00:00:01.000Z']]);
    assert.deepEqual([a.body.events[1]!.inputs.map((d) => d.name), a.body.events[1]!.outputs.map((d) => d.name)], [['/data/in.csv'], ['/data/out']]);
    assert.equal(new Set(a.body.events.map((e) => e.run.runId)).size, 1);
    assert.equal(a.body.events[0]!.run.facets.parent?.job.name, 'demo');
    const b = await call<Lineage>(server, 'GET', '/api/lineage?name=demo.b');
    assert.deepEqual(b.body.events.map((e) => [e.eventType, e.run.facets.errorMessage?.message ?? null]), [['START', null], ['FAIL', 'boom']]);
    assert.equal(b.body.events[0]!.run.facets.parent?.run.runId, a.body.events[0]!.run.facets.parent?.run.runId, 'one parent: the DAG run');
    assert.equal((await call<Lineage>(server, 'GET', '/api/lineage?name=demo.a')).body.events.length, 2, 'not emitted twice');

    const metrics = await call(server, 'GET', '/metrics', { token: null });
    assert.match(metrics.text, /^riffle_dag_runs\{dag="demo",state="failed"\} 1$/m);
    assert.match(metrics.text, /^riffle_task_instances\{state="success"\} 1$/m);

    r = await call(server, 'POST', `/api/dags/demo/runs/${RUN}/clear`, { body: { tasks: ['b'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((r.body as { cleared: string[] }).cleared, ['b']);
    r = await call(server, 'POST', `/api/dags/demo/runs/${RUN}/mark`, { body: { tasks: ['b'], state: 'success' } });
    assert.equal(r.status, 200, r.text);
    const after = await call<{ run: { state: string }; tasks: Array<{ taskId: string; state: string }> }>(server, 'GET', `/api/dags/demo/runs/${RUN}/tasks`);
    assert.deepEqual(after.body.tasks.map((t) => [t.taskId, t.state]).sort(), [['a', 'success'], ['b', 'success']]);
    r = await call<ErrorBody>(server, 'POST', '/api/dags/demo/runs/nope/mark', { body: { tasks: ['a'], state: 'failed' } });
    assert.equal(r.status, 404, r.text);

    r = await call(server, 'POST', '/api/dags/demo/pause', { body: { paused: true } });
    assert.equal(r.status, 200, r.text);
    const paused = await call<{ dags: Array<{ isPaused: boolean }> }>(server, 'GET', '/api/dags');
    assert.equal(paused.body.dags[0]!.isPaused, true);
  });

  it("lists a DAG's tasks with their latest instance, and the grid of runs × task instances in one answer", async () => {
    // (runs after the test above: the store has the run with a, b)
    const t = await call<{ dag: string; tasks: Array<{ id: string; kind: string; upstream: string[]; downstream: string[]; pool: string; retries: number; latest: { runId: string; state: string } | null }> }>(server, 'GET', '/api/dags/demo/tasks');
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.body.tasks.map((x) => [x.id, x.upstream, x.downstream, x.pool, typeof x.retries, x.latest?.runId, x.latest?.state]), [
      ['a', [], ['b'], 'default_pool', 'number', RUN, 'success'],
      ['b', ['a'], [], 'default_pool', 'number', RUN, 'success'],
    ]);
    assert.ok(t.body.tasks.every((x) => typeof x.kind === 'string' && x.kind !== ''));
    assert.equal((await call(server, 'GET', '/api/dags/demo/tasks', { token: null })).status, 401);
    const missing = await call<ErrorBody>(server, 'GET', '/api/dags/nope/tasks');
    assert.equal(missing.status, 404, missing.text);

    const g = await call<{ runs: Array<{ runId: string; state: string }>; instances: Record<string, Array<{ taskId: string; state: string; startDate: string | null }>> }>(server, 'GET', '/api/dags/demo/grid?limit=10');
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body.runs.map((r) => r.runId), [RUN]);
    assert.deepEqual(g.body.instances[RUN]!.map((i) => [i.taskId, i.state]).sort(), [['a', 'success'], ['b', 'success']]);
    assert.equal((await call(server, 'GET', '/api/dags/demo/grid?limit=0')).status, 400);
    assert.equal((await call(server, 'GET', '/api/dags/nope/grid')).status, 404);
    assert.equal((await call(server, 'GET', '/api/dags/demo/grid', { token: null })).status, 401);
  });
});

