// The CLI on a PostgreSQL store: trigger, `riffle scheduler --once` (worker processes that read the store for an
// external task sensor), runs, tasks, logs and stats, all with --store postgres://...
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exitCodeOf } from '../../../src/cli/cli-error.ts';
import type { CliIO } from '../../../src/cli/cli-io.ts';
import { dagCommand, schedulerCommand } from '../../../src/cli/dag-command.ts';
import { dropSchemas, freshUrl, skip } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-pg-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
after(dropSchemas);
const dags = join(root, 'dags');
mkdirSync(dags);
writeFileSync(join(dags, 'package.json'), '{"type":"module"}');
const INDEX = JSON.stringify(new URL('../../../src/orchestrator/index.ts', import.meta.url).href);
writeFileSync(join(dags, 'pair.ts'), `import { dag, externalTaskSensor } from ${INDEX};
export const producer = dag({ id: 'producer', schedule: null, startDate: '2024-01-01' });
producer.task('make', async () => { await new Promise((r) => setTimeout(r, 1500)); return 42; });
export const consumer = dag({ id: 'consumer', schedule: null, startDate: '2024-01-01' });
const wait = consumer.sensor('wait', externalTaskSensor({ dagId: 'producer', taskId: 'make', mode: 'reschedule', pokeInterval: '200ms', timeout: '2m' }));
consumer.task('use', { inputs: { wait } }, ({ inputs }) => inputs.wait.runId);
`);

async function riffle(command: typeof dagCommand, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  let status: number;
  try {
    status = await command(args, io);
  } catch (e) {
    err.push((e as Error).message);
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('riffle dag / scheduler on PostgreSQL', { skip }, () => {
  it('runs a sensor in a worker process that reads the shared store, and reports through runs, tasks, logs, stats', async () => {
    const store = freshUrl('cli');
    const common = ['--dags', dags, '--store', store];
    let r = await riffle(dagCommand, 'trigger', 'consumer', '--logical-date', '2024-01-05', ...common);
    assert.equal(r.status, 0, r.err);
    r = await riffle(dagCommand, 'trigger', 'producer', '--logical-date', '2024-01-05', ...common);
    assert.equal(r.status, 0, r.err);
    r = await riffle(schedulerCommand, ...common, '--once', '--json', '--poll-ms', '100');
    assert.equal(r.status, 0, r.err);
    const ran = JSON.parse(r.out) as { runs: { dagId: string; state: string }[] };
    assert.deepEqual(ran.runs.map((x) => [x.dagId, x.state]).sort(), [['consumer', 'success'], ['producer', 'success']]);
    r = await riffle(dagCommand, 'tasks', 'consumer', '2024-01-05', '--json', ...common);
    const tis = JSON.parse(r.out) as { tasks: { taskId: string; state: string; tryNumber: number }[] };
    assert.deepEqual(tis.tasks.map((t) => [t.taskId, t.state, t.tryNumber]), [['wait', 'success', 1], ['use', 'success', 1]]);
    r = await riffle(dagCommand, 'logs', 'consumer', '2024-01-05', 'wait', ...common);
    assert.match(r.out, /producer\.make is (none|scheduled|queued|running) in run manual__2024-01-05[^]*producer\.make is success/);
    r = await riffle(dagCommand, 'stats', '--json', ...common);
    const m = JSON.parse(r.out) as { runs: { byState: Record<string, number> }; queueLatency: { count: number } };
    assert.deepEqual(m.runs.byState, { queued: 0, running: 0, success: 2, failed: 0 });
    assert.equal(m.queueLatency.count, 3);
  });

  it('says which server it cannot reach, and exits 1', async () => {
    const r = await riffle(dagCommand, 'runs', 'x', '--dags', dags, '--store', 'postgres://riffle@127.0.0.1:1/nowhere');
    assert.equal(r.status, 1);
    assert.match(r.err, /cannot open the PostgreSQL metadata store at postgres:\/\/riffle@127\.0\.0\.1:1\/nowhere[^]*is the server running/);
  });
});
