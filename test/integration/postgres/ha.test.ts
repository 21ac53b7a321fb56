// Two schedulers in separate processes share one PostgreSQL database, as Airflow's HA schedulers do: together they
// run every task of a wide DAG run exactly once; when one is killed mid-run, its workers finish their attempts and
// record them in the store, the other takes over the rest and finishes the run; together they never run more
// tasks of a pool at once than it has slots. (The journal store's
// kill-and-restart test in src/orchestrator/process-executor.test.ts has the same shape.)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { loadDagFile, PostgresStore, triggerDagRun } from '../../../src/orchestrator/index.ts';
import { WIDTH } from './fixtures/ha-dag.ts';
import { POOL_SLOTS, POOL_TASKS } from './fixtures/ha-pool-dag.ts';
import { dropSchemas, freshUrl, skip } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-pg-ha-'));
after(() => rmSync(root, { recursive: true, force: true }));
after(dropSchemas);
const main = fileURLToPath(new URL('./fixtures/ha-scheduler.ts', import.meta.url));
const dagFiles: Record<string, string> = {
  ha_wide: fileURLToPath(new URL('./fixtures/ha-dag.ts', import.meta.url)),
  ha_pool: fileURLToPath(new URL('./fixtures/ha-pool-dag.ts', import.meta.url)),
};
const LOGICAL = Date.UTC(2024, 0, 1);
const RUN_ID = `manual__${new Date(LOGICAL).toISOString()}`;

interface Marker { what: 'start' | 'end'; task: string; try: number; pid: number; ppid: number; t: number }

interface Proc { child: ChildProcess; out: () => string; exit: Promise<number | null> }

function startScheduler(url: string, markers: string, dagId: string): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', main, url, dagId, RUN_ID], { env: { ...process.env, RIFFLE_MARKERS: markers }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const readMarkers = (dir: string): Marker[] =>
  existsSync(join(dir, 'markers.jsonl')) ? readFileSync(join(dir, 'markers.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Marker) : [];

/** Starts two schedulers on a fresh schema, waits until both are up, then triggers a run of `dagId`. */
async function twoSchedulers(prefix: string, dagId = 'ha_wide') {
  const url = freshUrl(prefix);
  const markers = mkdtempSync(join(root, `${prefix}-`));
  const store = await PostgresStore.connect(url);
  const a = startScheduler(url, markers, dagId);
  const b = startScheduler(url, markers, dagId);
  await until('both schedulers to start', () => a.out().includes('ready') && b.out().includes('ready'));
  const [dag] = await loadDagFile(dagFiles[dagId]!);
  await triggerDagRun(store, dag!, { logicalDate: LOGICAL });
  return { url, markers, store, a, b };
}

describe('HA: two schedulers on one PostgreSQL store', { skip }, () => {
  it('share a run: every task runs exactly once, both take part, the run succeeds', async () => {
    const { markers, store, a, b } = await twoSchedulers('ha_share');
    try {
      assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
      assert.equal(a.out().trim().split('\n').at(-1), 'success');
      assert.equal(b.out().trim().split('\n').at(-1), 'success');
      const m = readMarkers(markers);
      for (let i = 0; i < WIDTH; i++) {
        const mine = m.filter((x) => x.task === `work_${i}`).map((x) => `${x.what}${x.try}`);
        assert.deepEqual(mine, ['start1', 'end1'], `work_${i} ran once; log of attempt 1: ${await store.readLog({ dagId: 'ha_wide', runId: RUN_ID, taskId: `work_${i}`, mapIndex: -1 }, 1)}`);
      }
      assert.deepEqual(new Set(m.map((x) => x.ppid)), new Set([a.child.pid, b.child.pid]), 'both schedulers ran tasks');
      const tis = await store.listTaskInstances({ dagId: 'ha_wide', runId: RUN_ID });
      assert.equal(tis.length, WIDTH + 2);
      assert.ok(tis.every((t) => t.state === 'success' && t.tryNumber === 1), JSON.stringify(tis.filter((t) => t.state !== 'success' || t.tryNumber !== 1)));
      assert.equal((await store.getDagRun('ha_wide', RUN_ID))?.state, 'success');
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await store.close();
    }
  });

  it('one killed mid-run: its workers finish their attempts and record them; the other takes over the rest; every task runs once', async () => {
    const { markers, store, a, b } = await twoSchedulers('ha_kill');
    try {
      const open = () => {
        const m = readMarkers(markers);
        return m.filter((x) => x.what === 'start' && x.ppid === a.child.pid && !m.some((y) => y.what === 'end' && y.task === x.task && y.try === x.try));
      };
      await until('scheduler A to run tasks while B runs others', () => open().length >= 2 && readMarkers(markers).some((x) => x.ppid === b.child.pid));
      a.child.kill('SIGKILL');
      await a.exit;
      const killedAt = Date.now();
      assert.equal(await b.exit, 0);
      assert.equal(b.out().trim().split('\n').at(-1), 'success', 'the survivor saw the run through');

      const m = readMarkers(markers);
      const interrupted = [...new Set(m.filter((x) => x.what === 'start' && x.ppid === a.child.pid && x.t < killedAt && !m.some((y) => y.what === 'end' && y.task === x.task && y.try === x.try && y.t < killedAt)).map((x) => x.task))];
      assert.ok(interrupted.length >= 1, 'the kill hit at least one running attempt');
      const tis = new Map((await store.listTaskInstances({ dagId: 'ha_wide', runId: RUN_ID })).map((t) => [t.taskId, t]));
      assert.equal(tis.size, WIDTH + 2);
      assert.ok([...tis.values()].every((t) => t.state === 'success' && t.tryNumber === 1), `no task lost, no try spent: ${JSON.stringify([...tis.values()].filter((t) => t.state !== 'success' || t.tryNumber !== 1))}`);
      assert.equal((await store.getDagRun('ha_wide', RUN_ID))?.state, 'success');
      for (const task of interrupted) {
        const mine = m.filter((x) => x.task === task);
        assert.deepEqual(mine.map((x) => `${x.what}${x.try}`), ['start1', 'end1'], `${task}: its attempt outlived scheduler A and ran once`);
        assert.equal(mine[1]!.pid, mine[0]!.pid, `${task}: the same worker finished it`);
        assert.ok(mine[1]!.t >= killedAt);
      }
      for (let i = 0; i < WIDTH; i++) {
        assert.deepEqual(m.filter((x) => x.task === `work_${i}`).map((x) => `${x.what}${x.try}`), ['start1', 'end1'], `work_${i} ran once`);
      }
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await store.close();
    }
  });

  it(`never run more tasks of a ${POOL_SLOTS}-slot pool at once than it has slots, together`, async () => {
    const { markers, store, a, b } = await twoSchedulers('ha_pool', 'ha_pool');
    try {
      assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
      assert.equal(a.out().trim().split('\n').at(-1), 'success');
      assert.equal(b.out().trim().split('\n').at(-1), 'success');
      const m = readMarkers(markers);
      const spans = Array.from({ length: POOL_TASKS }, (_, i) => {
        const mine = m.filter((x) => x.task === `sleep_${i}`);
        assert.deepEqual(mine.map((x) => `${x.what}${x.try}`), ['start1', 'end1'], `sleep_${i} ran once`);
        return { task: `sleep_${i}`, ppid: mine[0]!.ppid, start: mine[0]!.t, end: mine[1]!.t };
      });
      // Sweep the starts and ends in time order (an end before a start at the same ms): the most spans open at once.
      const events = spans.flatMap((x) => [[x.start, 1, x.task], [x.end, -1, x.task]] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
      let open = 0;
      let peak = 0;
      for (const [t, d] of events) {
        open += d;
        if (open > POOL_SLOTS) assert.fail(`${open} tasks of the pool ran at ${new Date(t).toISOString()}: ${JSON.stringify(spans.filter((x) => x.start <= t && x.end > t))}`);
        peak = Math.max(peak, open);
      }
      assert.ok(peak >= 1);
      const byScheduler = new Map<number, number>();
      for (const x of spans) byScheduler.set(x.ppid, (byScheduler.get(x.ppid) ?? 0) + 1);
      const tis = await store.listTaskInstances({ dagId: 'ha_pool', runId: RUN_ID });
      assert.ok(tis.every((t) => t.state === 'success' && t.pool === 'pair' && t.tryNumber === 1), JSON.stringify(tis.filter((t) => t.state !== 'success')));
      process.stdout.write(`# ha pool: peak ${peak} of ${POOL_SLOTS} slots; tasks per scheduler ${JSON.stringify([...byScheduler.values()])}\n`);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await store.close();
    }
  });
});
