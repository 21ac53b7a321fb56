import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { isSameProcessAlive } from './attempt-ledger.ts';
import { loadDagFile } from './dag-loader.ts';
import { ProcessExecutor } from './executor.ts';
import { JournalStore } from './journal-store.ts';
import { Scheduler } from './scheduler.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-proc-'));
after(() => rmSync(root, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('./fixtures/process-dag.ts', import.meta.url));
/** A child's exit code, also if it has already exited (a scheduler may finish on its own on a slow machine). */
const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

describe('process executor', () => {
  it('runs attempts in worker processes: a crash is a failed attempt that retries, a timeout kills', async () => {
    const store = await JournalStore.open({ dir: join(root, 'store1') });
    const dags = await loadDagFile(fixture);
    const s = new Scheduler({ store, dags, executor: new ProcessExecutor({ parallelism: 4 }), scheduleRuns: false, pollMs: 50 });
    await s.start();
    const created = await s.triggerRun('processes', { logicalDate: Date.UTC(2024, 0, 1) });
    const run = await s.waitForRun('processes', created.runId);
    await s.stop();
    const tis = Object.fromEntries((await store.listTaskInstances({ dagId: 'processes', runId: run.runId })).map((t) => [t.taskId, t]));
    assert.notEqual((await store.getXCom(tis.pid!))?.value, process.pid, 'ran in another process');
    assert.deepEqual([tis.crash_once!.state, tis.crash_once!.tryNumber], ['success', 2]);
    assert.match(await store.readLog(tis.crash_once!, 1), /exited unexpectedly \(exit code 3\)/);
    assert.deepEqual([tis.too_slow!.state, tis.too_slow!.tryNumber], ['failed', 1]);
    assert.match(tis.too_slow!.error!, /execution timeout: killed after 300 ms/);
    assert.match(await store.readLog(tis.chatty!, 1), /hello from/);
    assert.ok(tis.pid!.hostname && tis.pid!.duration !== null);
    assert.equal(run.state, 'failed');
    await store.close();
  });

  it('a worker given its next attempt with the ack of its last (one read) keeps that attempt current: its log arrives', async () => {
    // The worker used to clear its current attempt when the previous one settled, after the next had begun: that
    // attempt's log lines were dropped, and an orphaned worker exited under it (a killed scheduler's successor then
    // ran the task again).
    const ex = new ProcessExecutor({ parallelism: 1 });
    const dagFile = fixture;
    const spec = (taskId: string, attemptId: string, inputs: Record<string, unknown> = {}) => ({
      attemptId,
      dagFile,
      request: { dagId: 'processes', runId: 'r', taskId, mapIndex: -1, tryNumber: 1, maxTries: 1, logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 0, timezone: 'UTC', params: {}, inputs, firstAttemptAt: null },
    });
    const quiet = { started: () => {}, heartbeat: () => {}, log: () => {} };
    const logs: string[] = [];
    for (let round = 0; round < 5; round++) {
      const first = `pid-${round}`;
      const next = `late-${round}`;
      await new Promise<void>((resolve) => {
        ex.start(spec('pid', first), {
          ...quiet,
          finished: (outcome) => {
            // Release (the ack) and the next attempt in the same tick, as the scheduler may: one read in the worker.
            ex.release(first);
            assert.equal(outcome.state, 'success');
            ex.start(spec('late_log', next), { ...quiet, log: (t) => logs.push(t), finished: () => resolve() });
          },
        });
      });
      ex.release(next);
    }
    await ex.close();
    assert.equal(logs.filter((l) => /hello later from/.test(l)).length, 5, logs.join(''));
  });

  it('fails an attempt whose heartbeats stop (zombie) and kills its process', async () => {
    const store = await JournalStore.open();
    const dags = await loadDagFile(fixture);
    const s = new Scheduler({ store, dags, executor: new ProcessExecutor({ parallelism: 1, heartbeatMs: 100 }), scheduleRuns: false, pollMs: 100, zombieThresholdMs: 1000 });
    await s.start();
    const run = await s.waitForRun('zombies', (await s.triggerRun('zombies', { logicalDate: Date.UTC(2024, 0, 1) })).runId);
    await s.stop();
    const hang = (await store.listTaskInstances({ dagId: 'zombies', runId: run.runId }))[0]!;
    assert.equal(hang.state, 'failed');
    assert.match(hang.error!, /zombie: no heartbeat for \d+ ms/);
    assert.throws(() => process.kill(hang.pid!, 0), 'the process is gone');
  });

  it('a killed scheduler, restarted, adopts the attempt its worker kept running: the task runs once, no try lost', async () => {
    const dir = join(root, 'restart');
    const markers = mkdtempSync(join(root, 'markers-'));
    const main = fileURLToPath(new URL('./fixtures/scheduler-main.ts', import.meta.url));
    const startScheduler = () => spawn(process.execPath, ['--import', 'tsx', main, dir], { env: { ...process.env, RIFFLE_MARKERS: markers }, stdio: ['ignore', 'pipe', 'inherit'] });
    const markerLines = () => (existsSync(join(markers, 'markers.jsonl')) ? readFileSync(join(markers, 'markers.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { what: string; try: number; pid: number; t: number }) : []);

    const first = startScheduler();
    for (let i = 0; i < 2400 && markerLines().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(markerLines()[0]?.what, 'start', 'the long task started');
    first.kill('SIGKILL');
    await exited(first);
    const workerPid = markerLines()[0]!.pid;
    process.kill(workerPid, 0); // the worker outlived its scheduler

    const second = startScheduler();
    let out = '';
    second.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await exited(second);
    assert.equal(code, 0);
    assert.equal(out.trim(), 'success');

    const m = markerLines();
    assert.deepEqual(m.map((x) => `${x.what}${x.try}`), ['start1', 'end1'], 'attempt 1 ran once, to the end, in the worker the first scheduler started');
    assert.ok(m.every((x) => x.pid === workerPid));
    const store = await JournalStore.open({ dir, readOnly: true });
    const runs = await store.listDagRuns({ dagId: 'restartable' });
    assert.equal(runs.length, 1);
    const long = (await store.listTaskInstances({ dagId: 'restartable', taskId: 'long' }))[0]!;
    assert.deepEqual([long.state, long.tryNumber], ['success', 1]);
    assert.equal((await store.getXCom(long))?.value, 1);
    assert.match(await store.readLog(long, 1), /stopped; its task process \d+ (runs on|has finished): adopted by/);
    assert.deepEqual(readdirSync(join(dir, 'attempts')).filter((f) => !f.startsWith('.')), [], 'attempt files are removed once the outcome is stored');
    await store.close();
  });

  it("an orphaned worker enforces its attempt's timeout itself: the timeout counts as the task's failed try", async () => {
    const dir = join(root, 'orphan-timeout');
    const markers = mkdtempSync(join(root, 'markers-'));
    const main = fileURLToPath(new URL('./fixtures/scheduler-main.ts', import.meta.url));
    const startScheduler = () => spawn(process.execPath, ['--import', 'tsx', main, dir, 'orphan_timeout'], { env: { ...process.env, RIFFLE_MARKERS: markers }, stdio: ['ignore', 'pipe', 'inherit'] });
    const markersFile = join(markers, 'markers.jsonl');
    const first = startScheduler();
    for (let i = 0; i < 2400 && !existsSync(markersFile); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(first.exitCode, null, 'the first scheduler was still running when killed');
    first.kill('SIGKILL');
    await exited(first);
    const workerPid = (JSON.parse(readFileSync(markersFile, 'utf8').split('\n')[0]!) as { pid: number }).pid;
    const second = startScheduler();
    let out = '';
    second.stdout.on('data', (c: Buffer) => (out += c.toString()));
    assert.equal(await exited(second), 0);
    assert.equal(out.trim(), 'failed');
    const store = await JournalStore.open({ dir, readOnly: true });
    const slow = (await store.listTaskInstances({ dagId: 'orphan_timeout' }))[0]!;
    assert.deepEqual([slow.state, slow.tryNumber], ['failed', 1]);
    assert.match(slow.error!, /execution timeout: killed after 2500 ms \(by the task process itself/);
    assert.equal(isSameProcessAlive(workerPid, null), false, 'the worker is gone');
    assert.doesNotMatch(readFileSync(markersFile, 'utf8'), /"end"/);
    await store.close();
  });

  it('a restarted scheduler hands back, without counting a try, an attempt whose worker vanished meanwhile', async () => {
    const dir = join(root, 'vanished');
    const markers = mkdtempSync(join(root, 'markers-'));
    const main = fileURLToPath(new URL('./fixtures/scheduler-main.ts', import.meta.url));
    const startScheduler = () => spawn(process.execPath, ['--import', 'tsx', main, dir], { env: { ...process.env, RIFFLE_MARKERS: markers }, stdio: ['ignore', 'pipe', 'inherit'] });
    const markerLines = () => (existsSync(join(markers, 'markers.jsonl')) ? readFileSync(join(markers, 'markers.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { what: string; try: number; pid: number; t: number }) : []);
    const first = startScheduler();
    for (let i = 0; i < 2400 && markerLines().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    first.kill('SIGKILL');
    await exited(first);
    process.kill(markerLines()[0]!.pid, 'SIGKILL'); // the worker goes too, while no scheduler watches
    await new Promise((r) => setTimeout(r, 100));

    const second = startScheduler();
    let out = '';
    second.stdout.on('data', (c: Buffer) => (out += c.toString()));
    assert.equal(await exited(second), 0);
    assert.equal(out.trim(), 'success');
    assert.deepEqual(markerLines().map((x) => `${x.what}${x.try}`), ['start1', 'start1', 'end1'], 'try 1 again, not try 2');
    const store = await JournalStore.open({ dir, readOnly: true });
    const long = (await store.listTaskInstances({ dagId: 'restartable', taskId: 'long' }))[0]!;
    assert.deepEqual([long.state, long.tryNumber], ['success', 1]);
    assert.match(await store.readLog(long, 1), /is gone; reset by .*handed back without counting a try/);
    await store.close();
  });
});
