import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AttemptLedger, isSameProcessAlive, isTaskRunner, processState } from './attempt-ledger.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-ledger-'));
after(() => rmSync(root, { recursive: true, force: true }));
const key = { dagId: 'd', runId: 'manual__2024-01-01T00:00:00.000Z', taskId: '../../etc/passwd', mapIndex: -1 };

describe('attempt ledger', () => {
  it('records an attempt, its start and its result; a result counts only with its launch token', () => {
    const ledger = new AttemptLedger(join(root, 'a'));
    ledger.writeAttempt({ ...key, tryNumber: 2, token: 'T1', pid: 123, hostname: 'h', processStart: 77, startedAt: 1 });
    assert.deepEqual(ledger.readAttempt(key, 2), { ...key, tryNumber: 2, token: 'T1', pid: 123, hostname: 'h', processStart: 77, startedAt: 1 });
    assert.equal(ledger.readAttempt(key, 1), undefined);
    assert.equal(ledger.started(key, 2, 'T1'), false);
    ledger.markStarted(key, 2, 'T1');
    assert.equal(ledger.started(key, 2, 'T1'), true);
    assert.equal(ledger.started(key, 2, 'T0'), false, 'another launch of the same try');
    ledger.writeResult({ ...key, tryNumber: 2, token: 'T0', outcome: { state: 'success', value: 1 }, log: '', finishedAt: 2 });
    assert.equal(ledger.readResult(key, 2, 'T1'), undefined, "a stale launch's result is not this launch's");
    ledger.writeResult({ ...key, tryNumber: 2, token: 'T1', outcome: { state: 'failed', error: 'x', retryable: true }, log: 'line\n', finishedAt: 3 });
    assert.deepEqual(ledger.readResult(key, 2, 'T1')?.outcome, { state: 'failed', error: 'x', retryable: true });
    assert.equal(ledger.listAttempts().length, 1);
    assert.ok(ledger.lastBeat(key, 2)! > 0);
    ledger.remove(key, 2);
    assert.deepEqual([ledger.readAttempt(key, 2), ledger.readResult(key, 2, 'T1'), ledger.started(key, 2, 'T1'), ledger.listAttempts()], [undefined, undefined, false, []]);
  });

  it('never reads or writes through a symlink planted at an attempt file', () => {
    const ledger = new AttemptLedger(join(root, 'b'));
    ledger.writeAttempt({ ...key, tryNumber: 1, token: 'T', pid: 1, hostname: 'h', processStart: null, startedAt: 1 });
    const victim = join(root, 'victim.json');
    writeFileSync(victim, JSON.stringify({ ...key, tryNumber: 1, token: 'T', pid: 99, hostname: 'h', processStart: null, startedAt: 1 }));
    const path = join(ledger.dir, `${AttemptLedger.nameOf(key, 1)}.attempt.json`);
    rmSync(path);
    symlinkSync(victim, path);
    assert.equal(ledger.readAttempt(key, 1), undefined, 'a link is not followed');
    ledger.writeAttempt({ ...key, tryNumber: 1, token: 'T2', pid: 2, hostname: 'h', processStart: null, startedAt: 1 });
    assert.equal(JSON.parse(readFileSync(victim, 'utf8')).pid, 99, 'the link target is untouched');
    assert.equal(ledger.readAttempt(key, 1)?.pid, 2, 'the link itself was replaced');
  });

  it('tells a live process (same start time) from a gone one', () => {
    const me = processState(process.pid);
    assert.equal(me.alive, true);
    assert.equal(isSameProcessAlive(process.pid, me.start), true);
    if (me.start !== null) assert.equal(isSameProcessAlive(process.pid, me.start + 1), false, 'a reused pid has another start time');
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    assert.equal(isSameProcessAlive(Number(child.stdout.trim()), null), false);
    assert.equal(isTaskRunner(process.pid), process.platform !== 'linux');
  });
});
