// `riffle dag ...` in-process against a temporary DAG folder and store (worker processes for backfill).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exitCodeOf } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { dagCommand, schedulerCommand } from './dag-command.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-dag-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dags = join(root, 'dags');
mkdirSync(dags);
writeFileSync(join(dags, 'package.json'), '{"type":"module"}');
const INDEX = JSON.stringify(new URL('../orchestrator/index.ts', import.meta.url).href);
writeFileSync(join(dags, 'demo.ts'), `import { dag, failWithoutRetry } from ${INDEX};
export const demo = dag({ id: 'demo', schedule: '@daily', startDate: '2024-01-01', params: { fail: false, n: 1 } });
const a = demo.task('a', ({ params, log }) => { log('a got', params.n); return params.n; });
const b = demo.task('b', { inputs: { a } }, ({ inputs, params }) => { if (params.fail) failWithoutRetry('asked to fail'); return inputs.a * 2; });
b.then(demo.task('c', () => 'done'));
`);
const store = join(root, 'store');

async function riffleDag(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  let status: number;
  try {
    status = await dagCommand([...args, '--dags', dags, '--store', store], io);
  } catch (e) {
    err.push((e as Error).message);
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}
const json = <T>(r: { out: string }) => JSON.parse(r.out) as T;
type Ti = { taskId: string; state: string; tryNumber: number; maxTries: number };
const tiStates = async (run: string) => Object.fromEntries(json<{ tasks: Ti[] }>(await riffleDag('tasks', 'demo', run, '--json')).tasks.map((t) => [t.taskId, `${t.state}/${t.tryNumber}`]));

describe('riffle dag (CLI)', () => {
  it('reports usage errors with exit code 2', async () => {
    assert.equal((await riffleDag()).status, 2);
    assert.equal((await riffleDag('--help')).status, 0);
    let r = await riffleDag('frob');
    assert.deepEqual([r.status, /unknown dag command 'frob'/.test(r.err)], [2, true]);
    r = await riffleDag('runs', 'demo');
    assert.deepEqual([r.status, /no metadata store at/.test(r.err)], [2, true]);
    r = await riffleDag('trigger', 'nope');
    assert.deepEqual([r.status, /no dag 'nope'[^]*dags found: demo/.test(r.err)], [2, true]);
    r = await riffleDag('runs', 'demo', '--colour', 'red');
    assert.deepEqual([r.status, /unknown option --colour/.test(r.err)], [2, true]);
    r = await riffleDag('mark', 'demo', 'x', '--task', 'a', '--state', 'done');
    assert.deepEqual([r.status, /--state success or --state failed/.test(r.err)], [2, true]);
    r = await riffleDag('backfill', 'demo', '--start', '2024-01-05', '--end', '2024-01-01');
    assert.deepEqual([r.status, /is after --end/.test(r.err)], [2, true]);
  });

  it('trigger with params, backfill, runs, tasks, logs, clear, mark, pause', async () => {
    let r = await riffleDag('trigger', 'demo', '--logical-date', '2024-03-01', '--conf', 'n=21', '--param', 'fail=true', '--json');
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(json<{ run: { conf: unknown } }>(r).run.conf, { fail: true, n: 21 });
    r = await riffleDag('trigger', 'demo', '--logical-date', '2024-03-01');
    assert.deepEqual([r.status, /already has a run/.test(r.err)], [1, true]);

    // A backfill runs its own scheduler with worker processes: the triggered (queued) run is not its business.
    r = await riffleDag('backfill', 'demo', '--start', '2024-02-01', '--end', '2024-02-03', '--max-active-runs', '2', '--conf', 'fail=true');
    assert.equal(r.status, 1, 'the runs failed');
    assert.match(r.out, /0 of 3 run\(s\) succeeded/);
    r = await riffleDag('runs', 'demo', '--state', 'failed', '--json');
    assert.deepEqual(json<{ runs: { runId: string; duration: number }[] }>(r).runs.map((x) => x.runId), ['backfill__2024-02-01T00:00:00.000Z', 'backfill__2024-02-02T00:00:00.000Z', 'backfill__2024-02-03T00:00:00.000Z']);
    assert.ok(json<{ runs: { duration: number }[] }>(r).runs.every((x) => x.duration >= 0));
    r = await riffleDag('runs', 'demo');
    assert.match(r.out, /manual__2024-03-01T00:00:00.000Z\s+manual\s+2024-03-01\s+queued/);

    const run = 'backfill__2024-02-01T00:00:00.000Z';
    assert.deepEqual(await tiStates('2024-02-01'), { a: 'success/1', b: 'failed/1', c: 'upstream_failed/0' });
    r = await riffleDag('logs', 'demo', run, 'a');
    assert.match(r.out, /a got 1/);
    r = await riffleDag('logs', 'demo', run, 'b', '--try', '2');
    assert.deepEqual([r.status, /has no attempt 2/.test(r.err)], [2, true]);
    r = await riffleDag('tasks', 'demo', run);
    assert.match(r.out, /b\s+failed\s+1\s+1\s+\S+\s+[\d.]+\s+asked to fail/);

    r = await riffleDag('clear', 'demo', run, '--task', 'b', '--downstream');
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /cleared 2 task instance\(s\)[^]*: b, c\nrun .* is running/);
    assert.deepEqual(await tiStates(run), { a: 'success/1', b: 'none/1', c: 'none/0' });
    r = await riffleDag('mark', 'demo', '2024-02-02', '--task', 'b,c', '--state', 'success');
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /marked 2 task instance\(s\) success[^]*is success/);

    assert.equal((await riffleDag('pause', 'demo')).status, 0);
    r = await riffleDag('list', '--json');
    assert.equal(json<{ dags: { id: string; paused: boolean }[] }>(r).dags[0]!.paused, true);
    assert.equal((await riffleDag('unpause', 'demo')).status, 0);
    r = await riffleDag('show', 'demo', '--json');
    assert.deepEqual([json<{ paused: boolean; tasks: unknown[] }>(r).paused, json<{ tasks: unknown[] }>(r).tasks.length], [false, 3]);

    // Metrics of what ran above: 3 backfill runs failed on b (2024-02-01 cleared: running again; 02 marked success).
    r = await riffleDag('stats', '--json');
    assert.equal(r.status, 0, r.err);
    const m = json<{ runs: { byState: Record<string, number> }; tasks: { taskId: string; count: number; failed: number }[]; failures: { taskId: string; error: string }[]; queueLatency: { count: number } }>(r);
    assert.deepEqual(m.runs.byState, { queued: 1, running: 1, success: 1, failed: 1 });
    const task = (id: string) => m.tasks.find((t) => t.taskId === id)!;
    assert.deepEqual([task('a').count, task('a').failed, task('b').count, task('b').failed], [3, 0, 1, 1], 'a succeeded thrice; b failed once, was marked success once, and cleared once');
    assert.deepEqual(m.failures.map((f) => [f.taskId, f.error]), [['b', 'asked to fail']]);
    assert.ok(m.queueLatency.count >= 3);
    r = await riffleDag('stats', '--dag', 'demo', '--since', '1h');
    assert.match(r.out, /^demo since .*: 4 run\(s\) \(queued 1, running 1, success 1, failed 1\)/);
    assert.match(r.out, /queue latency \(ready → started\): p50 \d+ ms/);
    assert.match(r.out, /latest failures:[^]*b\s+1\s+\S+\s+asked to fail/);
    assert.deepEqual([(await riffleDag('stats', '--since', 'yesterday')).status, (await riffleDag('stats', '--dag', 'nope')).status], [2, 2]);
  });

  it('refuses a bad --store URL (or RIFFLE_ORCHESTRATOR_STORE) before doing anything', async () => {
    const out: string[] = [];
    const io: CliIO = { out: (t) => void out.push(t), err: (t) => void out.push(t), progress: { isTTY: false, write: () => undefined }, env: { RIFFLE_ORCHESTRATOR_STORE: 'postgres://riffle@db.example:5432/' }, cwd: process.cwd() };
    for (const argv of [['runs', 'demo', '--store', 'postgres://riffle@localhost:5432'], ['runs', 'demo', '--store', 'mysql://a@b/c'], ['runs', 'demo']]) {
      let status: number;
      try {
        status = await dagCommand([...argv, '--dags', dags], io);
      } catch (e) {
        status = exitCodeOf(e);
        out.push((e as Error).message);
      }
      assert.equal(status, 2, argv.join(' '));
    }
    assert.match(out.join('\n'), /--store: invalid metadata store URL 'postgres:\/\/riffle@localhost:5432': no database name[^]*scheme 'mysql'[^]*db\.example:5432\/': no database name/);
  });

  it('gives pools their slots (--pool name=N), warns about pools too small for their tasks, and refuses --pool elsewhere', async () => {
    const folder = join(root, 'pooled');
    mkdirSync(folder);
    writeFileSync(join(folder, 'package.json'), '{"type":"module"}');
    writeFileSync(join(folder, 'pooled.ts'), `import { dag } from ${INDEX};
export const pooled = dag({ id: 'pooled', schedule: '@daily', startDate: '2024-01-01', catchup: false });
pooled.task('x', { pool: 'db' }, () => 1);
pooled.task('y', { pool: 'db', poolSlots: 2 }, () => 2);
export const idle = dag({ id: 'idle', schedule: null, startDate: '2024-01-01' });
idle.task('z', { pool: 'gpu' }, () => 3);
`);
    const pooledStore = join(root, 'pooled-store');
    const cli = async (command: typeof dagCommand, ...args: string[]) => {
      const lines: string[] = [];
      const io: CliIO = { out: (t) => void lines.push(t), err: (t) => void lines.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
      try {
        return { status: await command([...args, '--dags', folder, '--store', pooledStore], io), text: lines.join('\n') };
      } catch (e) {
        return { status: exitCodeOf(e), text: [...lines, (e as Error).message].join('\n') };
      }
    };
    let r = await cli(dagCommand, 'backfill', 'pooled', '--start', '2024-01-01', '--end', '2024-01-02', '--pool', 'db=2', '--pool=gpu=1', '--json');
    assert.equal(r.status, 0, r.text);
    assert.doesNotMatch(r.text, /warning/);
    const tis = json<{ tasks: { taskId: string; state: string }[] }>({ out: (await cli(dagCommand, 'tasks', 'pooled', '2024-01-02', '--json')).text });
    assert.deepEqual(tis.tasks.map((t) => [t.taskId, t.state]).sort(), [['x', 'success'], ['y', 'success']]);
    r = await cli(dagCommand, 'stats', '--pool', 'db=2', '--json');
    assert.deepEqual(json<{ pools: { pool: string; slots: number }[] }>({ out: r.text }).pools.map((p) => [p.pool, p.slots]), [['db', 2], ['default_pool', 128], ['gpu', 0]]);
    // pooled.y takes 2 slots of db, which has 1; idle.z's pool has none. --once: no run is due (pooled is paused,
    // idle has no schedule).
    assert.equal((await cli(dagCommand, 'pause', 'pooled')).status, 0);
    r = await cli(schedulerCommand, '--once', '--pool', 'db=1');
    assert.equal(r.status, 0, r.text);
    assert.match(r.text, /warning: pool 'db' has 1 slot\(s\), too few for pooled\.y, which will wait; pass --pool db=<slots>/);
    assert.match(r.text, /warning: pool 'gpu' has 0 slot\(s\), too few for idle\.z/);
    for (const [args, message] of [
      [['trigger', 'pooled', '--pool', 'db=1'], /riffle dag trigger: unknown option --pool/],
      [['backfill', 'pooled', '--start', '2024-01-01', '--end', '2024-01-01', '--pool', 'db'], /--pool db: expected name=slots/],
      [['stats', '--pool', 'db=-1'], /--pool db=-1: expected name=slots/],
    ] as const) {
      r = await cli(dagCommand, ...args);
      assert.deepEqual([r.status, message.test(r.text)], [2, true], r.text);
    }
    assert.equal((await cli(schedulerCommand, '--pool')).status, 2);
  });
});
