// `riffle store check|repair` and how other commands meet a damaged store: a clear error, never a stack.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JournalStore } from '../orchestrator/index.ts';
import { describeError, exitCodeOf } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { dagCommand } from './dag-command.ts';
import { storeCommand } from './store-command.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-store-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function cli(fn: typeof storeCommand, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  let status: number;
  try {
    status = await fn(args, io);
  } catch (e) {
    err.push(describeError(e, false));
    status = exitCodeOf(e);
  }
  return { status, out: out.join('\n'), err: err.join('\n') };
}

/** A store with 12 task instances that succeeded, journal only. */
async function store(): Promise<string> {
  const dir = join(root, `s${n++}`);
  const s = await JournalStore.open({ dir });
  await s.upsertDag({ dagId: 'etl', fileloc: 'etl.ts', schedule: '@daily', timezone: 'UTC', isPaused: false, tags: [], description: null });
  const run = { dagId: 'etl', runId: 'manual__2024-01-01', runType: 'manual' as const, state: 'running' as const, logicalDate: 0, dataIntervalStart: 0, dataIntervalEnd: 1, conf: {}, queuedAt: 0, startDate: 0, endDate: null };
  await s.createDagRun(run);
  for (let i = 0; i < 12; i++) {
    const key = { dagId: 'etl', runId: run.runId, taskId: `t${i}`, mapIndex: -1 };
    await s.createTaskInstances([{ ...key, state: 'running', scheduledAt: null, tryNumber: 1, maxTries: 1, startDate: 0, endDate: null, duration: null, hostname: null, pid: null, heartbeatAt: null, nextAttemptAt: null, firstAttemptAt: null, owner: null, error: null, updatedAt: 0, pool: 'default_pool', poolSlots: 1 }]);
    await s.updateTaskInstance(key, { state: 'success' });
  }
  await s.close();
  return dir;
}

describe('riffle store (CLI)', () => {
  it('check says ok on a healthy store; usage errors exit 2', async () => {
    const dir = await store();
    const r = await cli(storeCommand, 'check', '--store', dir);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /: ok\n[\s\S]*journal +framed, 26 valid record\(s\)/);
    assert.equal((await cli(storeCommand, 'frob', '--store', dir)).status, 2);
    assert.equal((await cli(storeCommand, 'check', '--store', 'postgres://u@h/db')).status, 2);
    assert.equal((await cli(storeCommand, 'check', '--store', dir, '--discard-snapshot')).status, 2);
  });

  it('garbage in the middle of the journal: dag commands refuse with a clear error; check finds it; repair keeps the prefix', async () => {
    const dir = await store();
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n');
    lines[8] = '{"s": "garbage"';
    writeFileSync(join(dir, 'journal.jsonl'), lines.join('\n'));
    const runs = await cli(dagCommand, 'runs', 'etl', '--store', dir, '--json');
    assert.equal(runs.status, 1);
    assert.match(runs.err, /^error: the metadata journal .*journal\.jsonl is corrupt at line 9 \(byte \d+\)/);
    assert.doesNotMatch(runs.err, /\n\s+at /, 'no stack');
    const check = await cli(storeCommand, 'check', '--store', dir);
    assert.equal(check.status, 1);
    assert.match(check.out, /NEEDS REPAIR[\s\S]*problem: journal\.jsonl is corrupt at line 9[\s\S]*would:\n {2}- keep the 8 record\(s\) before line 9/);
    const repair = await cli(storeCommand, 'repair', '--store', dir);
    assert.equal(repair.status, 0, repair.err);
    assert.match(repair.out, /repaired[\s\S]*lost: 17 change\(s\)[\s\S]*task etl manual__2024-01-01 t\d+ → success/);
    assert.match(repair.err, /warning: 17 recorded change\(s\) were lost/);
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('journal.jsonl.corrupt-')).length, 1);
    assert.equal((await cli(dagCommand, 'runs', 'etl', '--store', dir, '--json')).status, 0);
    assert.equal((await cli(storeCommand, 'check', '--store', dir)).status, 0);
  });

  it('a torn snapshot after compaction: refused clearly; repair needs --discard-snapshot', async () => {
    const dir = await store();
    const s = await JournalStore.open({ dir });
    s.compact();
    await s.close();
    writeFileSync(join(dir, 'snapshot.json'), readFileSync(join(dir, 'snapshot.json')).subarray(0, 100));
    const runs = await cli(dagCommand, 'runs', 'etl', '--store', dir);
    assert.equal(runs.status, 1);
    assert.match(runs.err, /^error: the metadata store snapshot .*snapshot\.json is corrupt \(the record is cut short/);
    assert.doesNotMatch(runs.err, /SyntaxError|\n\s+at /);
    const refused = await cli(storeCommand, 'repair', '--store', dir);
    assert.equal(refused.status, 1);
    assert.match(refused.err, /--discard-snapshot/);
    const forced = await cli(storeCommand, 'repair', '--store', dir, '--discard-snapshot');
    assert.equal(forced.status, 0, forced.err);
    assert.match(forced.out, /the store is now EMPTY/);
  });
});
