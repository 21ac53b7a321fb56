/**
 * Data for the console's browser tests, written where the server reads it: job records (DIR/jobs/<id>/job.json, as
 * the server keeps them) and a large DAG with runs and task instances in the orchestrator's store (as a scheduler
 * would have left them), plus task instances for a triggered run of the fixture DAG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JournalStore, type TaskInstanceRecord } from '../../src/orchestrator/index.ts';

const STATES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'cancelled'] as const;

/** `n` finished job records spread over the last `n` minutes. */
export function seedJobs(serverDir: string, n: number, now = Date.now()): void {
  for (let i = 0; i < n; i++) {
    const created = now - (n - i) * 60_000;
    const id = `job-seed-${String(i).padStart(4, '0')}`;
    const state = STATES[i % STATES.length]!;
    const job = {
      id, pipeline: `pipelines/etl-${i % 7}.ts`, params: { output: `out/run-${i}`, n: i }, state, submittedBy: 'tok_seed', createdAt: new Date(created).toISOString(),
      startedAt: new Date(created + 800).toISOString(), endedAt: new Date(created + 800 + 5_000 + i * 137).toISOString(), pid: null, exitCode: state === 'succeeded' ? 0 : 1, signal: null,
      reason: state === 'failed' ? 'step ParseEvents failed: invalid record at line 12' : state === 'cancelled' ? 'cancelled by tok_seed' : null,
      cancelRequestedAt: null, drainRequestedAt: null, counts: { elementsRead: 1000 * i + 17, elementsProcessed: 2000 * i + 5, deadLetters: i % 9 === 0 ? i : 0 },
    };
    mkdirSync(join(serverDir, 'jobs', id), { recursive: true });
    writeFileSync(join(serverDir, 'jobs', id, 'job.json'), `${JSON.stringify(job, null, 2)}\n`);
  }
}

const base = { mapIndex: -1, maxTries: 2, hostname: 'worker-1', pid: null, heartbeatAt: null, nextAttemptAt: null, firstAttemptAt: null, owner: null, pool: 'default_pool', poolSlots: 1 };

/** A DAG of `tasks` tasks (10 chains fanning out) with `runs` daily runs, every task instance recorded. */
export async function seedBigDag(storeDir: string, dagId: string, tasks: number, runs: number): Promise<void> {
  const store = await JournalStore.open({ dir: storeDir });
  try {
    await store.upsertDag({ dagId, fileloc: 'dags/big.ts', schedule: '@daily', timezone: 'UTC', isPaused: false, tags: ['load-test'], description: `${tasks} tasks` });
    const day = 86_400_000;
    const first = Date.UTC(2026, 10, 1);
    for (let r = 0; r < runs; r++) {
      const logical = first + r * day;
      const runId = `scheduled__${new Date(logical).toISOString()}`;
      const start = logical + day + 60_000;
      const last = r === runs - 1;
      await store.createDagRun({ dagId, runId, runType: 'scheduled', state: last ? 'running' : r % 4 === 3 ? 'failed' : 'success', logicalDate: logical, dataIntervalStart: logical, dataIntervalEnd: logical + day, conf: {}, queuedAt: start - 1000, startDate: start, endDate: last ? null : start + tasks * 400 });
      const tis: TaskInstanceRecord[] = [];
      for (let t = 0; t < tasks; t++) {
        const s = start + t * 300;
        const failed = r % 4 === 3 && t % 211 === 7;
        const state = last ? (t < tasks / 2 ? 'success' : t < tasks / 2 + 8 ? 'running' : 'none') : failed ? 'failed' : r % 4 === 3 && t % 211 > 7 && t % 211 < 12 ? 'upstream_failed' : 'success';
        const started = state !== 'none' && state !== 'upstream_failed';
        tis.push({
          ...base, dagId, runId, taskId: `chain_${t % 10}.step_${String(Math.floor(t / 10)).padStart(3, '0')}`, state, tryNumber: started ? 1 : 0, scheduledAt: s - 200,
          startDate: started ? s : null, endDate: started && state !== 'running' ? s + 250 + (t % 17) * 20 : null, duration: started && state !== 'running' ? 250 + (t % 17) * 20 : null,
          error: failed ? 'ValueError: column amount has nulls' : null, updatedAt: s,
        });
      }
      await store.createTaskInstances(tis);
    }
  } finally {
    await store.close();
  }
}

/** Task instances of a triggered run of the fixture DAG `demo` (a → b): `a` succeeded with a log, `b` failed. */
export async function seedDemoRun(storeDir: string, runId: string): Promise<void> {
  const store = await JournalStore.open({ dir: storeDir });
  try {
    const now = Date.now();
    await store.createTaskInstances([
      { ...base, dagId: 'demo', runId, taskId: 'a', state: 'success', tryNumber: 1, scheduledAt: now - 5000, startDate: now - 4000, endDate: now - 3000, duration: 1000, error: null, updatedAt: now },
      { ...base, dagId: 'demo', runId, taskId: 'b', state: 'failed', tryNumber: 1, scheduledAt: now - 3000, startDate: now - 2500, endDate: now - 2000, duration: 500, error: 'boom', updatedAt: now },
    ]);
    await store.appendLog({ dagId: 'demo', runId, taskId: 'a', mapIndex: -1 }, 1, 'a: read 3 rows\na: done\n');
    await store.updateDagRun('demo', runId, { state: 'failed', startDate: now - 4000, endDate: now - 2000 });
  } finally {
    await store.close();
  }
}
