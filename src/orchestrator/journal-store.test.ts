import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JournalStore } from './journal-store.ts';
import { claimRequest, runFixture, runMetadataStoreSuite, tiFixture } from './metadata-store-suite.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`);

runMetadataStoreSuite('journal store (in memory)', () => JournalStore.open());
runMetadataStoreSuite('journal store (files)', () => JournalStore.open({ dir: freshDir() }), {
  reopen: async (s) => {
    const dir = (s as unknown as { options: { dir: string } }).options.dir;
    await s.close();
    return JournalStore.open({ dir });
  },
});
runMetadataStoreSuite('journal store (files, compacting every change)', () => JournalStore.open({ dir: freshDir(), compactAfter: 0 }), {
  reopen: async (s) => {
    const dir = (s as unknown as { options: { dir: string } }).options.dir;
    await s.close();
    return JournalStore.open({ dir, compactAfter: 0 });
  },
});

describe('JournalStore specifics', () => {
  it('ignores a torn last line and keeps appending after it', async () => {
    const dir = freshDir();
    const s = await JournalStore.open({ dir });
    await s.createDagRun(runFixture('d', 0));
    await s.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"s":99,"o":{"t":"run","v":{"dagId":"d"'); // a crash mid-write
    const again = await JournalStore.open({ dir });
    assert.equal((await again.listDagRuns()).length, 1);
    await again.createDagRun(runFixture('d', 1));
    await again.close();
    const third = await JournalStore.open({ dir });
    assert.equal((await third.listDagRuns()).length, 2);
    await third.close();
  });

  it('skips journal entries already in the snapshot (crash between snapshot and truncation)', async () => {
    const dir = freshDir();
    const s = await JournalStore.open({ dir });
    await s.createDagRun(runFixture('d', 0));
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    s.compact();
    writeFileSync(join(dir, 'journal.jsonl'), journal); // as if truncation never happened
    await s.close();
    const again = await JournalStore.open({ dir });
    assert.equal((await again.listDagRuns()).length, 1);
    await again.close();
  });

  it('compacts a long journal into a snapshot', async () => {
    const dir = freshDir();
    const s = await JournalStore.open({ dir, compactAfter: 50 });
    const k = { dagId: 'd', runId: 'r', taskId: 't', mapIndex: -1 };
    await s.createTaskInstances([tiFixture(k)]);
    for (let i = 0; i < 200; i++) await s.updateTaskInstance(k, { tryNumber: i });
    assert.ok(s.journalLength < 60, `journal length ${s.journalLength}`);
    await s.close();
    const again = await JournalStore.open({ dir });
    assert.equal((await again.getTaskInstance(k))?.tryNumber, 199);
    await again.close();
  });

  it('reads instances journaled before pools were recorded as default_pool, 1 slot, and counts them in claims', async () => {
    const dir = freshDir();
    const k = (taskId: string) => ({ dagId: 'd', runId: 'r', taskId, mapIndex: -1 });
    const { pool: _p, poolSlots: _s, ...old } = tiFixture(k('old'), { state: 'running' });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify({ s: 1, o: { t: 'ti', v: old } })}\n`);
    const s = await JournalStore.open({ dir });
    assert.deepEqual([(await s.getTaskInstance(k('old')))?.pool, (await s.getTaskInstance(k('old')))?.poolSlots], ['default_pool', 1]);
    await s.createTaskInstances([tiFixture(k('new'), { state: 'scheduled' })]);
    const pools = { default_pool: 1 };
    assert.deepEqual(await s.claimTaskInstances([claimRequest(k('new'))], 'me', { limit: 1, pools }), [], 'the old running instance holds the only slot');
    await s.updateTaskInstance(k('old'), { state: 'success' });
    assert.deepEqual((await s.claimTaskInstances([claimRequest(k('new'))], 'me', { limit: 1, pools })).map((t) => t.taskId), ['new']);
    await s.close();
  });

  // Claims are atomic because one process writes (the lock below) and a claim counts and claims without yielding;
  // the conformance suite races claimers inside that process. Claimers in several processes need the PostgreSQL
  // store (test/integration/postgres/store.test.ts races them on separate connections).
  it('lets one process write; read-only opens see the data', async () => {
    const dir = freshDir();
    const s = await JournalStore.open({ dir });
    await s.createDagRun(runFixture('d', 0));
    writeFileSync(join(dir, 'store.lock'), JSON.stringify({ pid: 1, hostname: (await import('node:os')).hostname() }));
    await assert.rejects(JournalStore.open({ dir }), /in use by process 1/);
    const ro = await JournalStore.open({ dir, readOnly: true });
    assert.equal((await ro.listDagRuns()).length, 1);
    await assert.rejects(ro.createDagRun(runFixture('d', 1)), /read-only/);
    await s.close();
  });
});
