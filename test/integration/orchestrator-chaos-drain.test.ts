// Ctrl-C of `riffle scheduler` drains: no new work, running attempts finish within --grace and are recorded, the
// process exits 0 and nothing fails; attempts still running when the grace ends (or at a second Ctrl-C) are handed
// back — ready again, their try not counted — and the next scheduler runs them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { CliIO } from '../../src/cli/cli-io.ts';
import { dagCommand } from '../../src/cli/dag-command.ts';
import { JournalStore } from '../../src/orchestrator/index.ts';

const BIN = fileURLToPath(new URL('../../bin/riffle.js', import.meta.url));
const INDEX = JSON.stringify(new URL('../../src/orchestrator/index.ts', import.meta.url).href);
const root = mkdtempSync(join(tmpdir(), 'riffle-drain-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dags = join(root, 'dags');
mkdirSync(dags);
writeFileSync(join(dags, 'package.json'), '{"type":"module"}');
// Two parallel tasks of 1.5 s, then one that follows them; `slow` takes 20 s.
writeFileSync(join(dags, 'drain.ts'), `import { dag } from ${INDEX};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const drain = dag({ id: 'drain', schedule: null, startDate: '2024-01-01', defaultArgs: { retries: 0 } });
const a = drain.task('a', async () => { await sleep(1500); return 'a'; });
const b = drain.task('b', async () => { await sleep(1500); return 'b'; });
const last = drain.task('after', () => 'after');
a.then(last);
b.then(last);
export const slow = dag({ id: 'slow', schedule: null, startDate: '2024-01-01', defaultArgs: { retries: 0 } });
slow.task('long', async () => { await sleep(20000); return 'long'; });
`);

function scheduler(store: string, ...args: string[]): { child: ChildProcess; err: () => string } {
  const child = spawn(process.execPath, [BIN, 'scheduler', '--dags', dags, '--store', store, '--poll-ms', '100', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, err: () => err };
}

const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

async function trigger(store: string, dagId: string): Promise<void> {
  const io: CliIO = { out: () => undefined, err: () => undefined, progress: { isTTY: false, write: () => undefined }, env: {}, cwd: process.cwd() };
  assert.equal(await dagCommand(['trigger', dagId, '--logical-date', '2024-01-01', '--dags', dags, '--store', store], io), 0);
}

async function until(what: string, store: string, test: (s: JournalStore) => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await JournalStore.open({ dir: store, readOnly: true });
    try {
      if (await test(s)) return;
    } finally {
      await s.close();
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = (dagId: string, n: number) => async (s: JournalStore) => (await s.listTaskInstances({ dagId, states: ['running'] })).length >= n;

describe('riffle scheduler: Ctrl-C drains', () => {
  it('lets running attempts finish, starts nothing new, exits 0; nothing fails; the next scheduler goes on', { timeout: 90_000 }, async () => {
    const store = join(root, 'drain');
    await trigger(store, 'drain');
    const s = scheduler(store, '--grace', '10s');
    await until('a and b to run', store, running('drain', 2));
    s.child.kill('SIGINT');
    assert.equal(await exited(s.child), 0, s.err());
    assert.match(s.err(), /stopping: no new work/);
    const db = await JournalStore.open({ dir: store, readOnly: true });
    const tis = Object.fromEntries((await db.listTaskInstances({ dagId: 'drain' })).map((t) => [t.taskId, t]));
    assert.deepEqual([tis.a!.state, tis.a!.tryNumber, tis.b!.state, tis.b!.tryNumber], ['success', 1, 'success', 1], 'the running attempts finished and were recorded');
    assert.notEqual(tis.after!.state, 'failed');
    assert.equal(tis.after!.tryNumber, 0, 'no new attempt started while draining');
    assert.equal((await db.listDagRuns({ dagId: 'drain' }))[0]!.state, 'running');
    await db.close();
    const next = scheduler(store, '--once');
    assert.equal(await exited(next.child), 0, next.err());
    const after = await JournalStore.open({ dir: store, readOnly: true });
    assert.equal((await after.listDagRuns({ dagId: 'drain' }))[0]!.state, 'success');
    await after.close();
  });

  it('hands back what is still running when the grace ends, or at once on a second Ctrl-C: ready again, no try counted', { timeout: 90_000 }, async () => {
    // Both cases at once (they use separate stores).
    await Promise.all(([['grace', ['--grace', '500ms'], 1], ['twice', ['--grace', '60s'], 2]] as const).map(async ([name, args, signals]) => {
      const store = join(root, name);
      await trigger(store, 'slow');
      const s = scheduler(store, ...args);
      await until('long to run', store, running('slow', 1));
      const t0 = Date.now();
      for (let i = 0; i < signals; i++) {
        s.child.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(await exited(s.child), 0, s.err());
      assert.ok(Date.now() - t0 < 10_000, `${name}: stopped without waiting for the 20 s task`);
      const db = await JournalStore.open({ dir: store, readOnly: true });
      const long = (await db.listTaskInstances({ dagId: 'slow' }))[0]!;
      assert.deepEqual([long.state, long.tryNumber], ['scheduled', 0], `${name}: handed back, try not counted`);
      assert.match(await db.readLog(long, 1), /stopped before attempt 1 finished; handed back without counting a try/);
      await db.close();
    }));
  });
});
