import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { frameRecord } from './journal-file.ts';
import { JournalStore } from './journal-store.ts';
import { checkJournalStore, repairJournalStore } from './store-check.ts';
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
    appendFileSync(join(dir, 'journal.jsonl'), frameRecord(JSON.stringify({ s: 99, o: { t: 'run', v: runFixture('d', 9) } })).slice(0, 40)); // a crash mid-write
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

describe('JournalStore files: framing, corruption, migration', () => {
  const journalOf = (dir: string) => join(dir, 'journal.jsonl');
  const quiet = { onWarning: () => undefined };

  /** A store with one DAG run and `tasks` task instances updated to success, left uncompacted. */
  async function storeWithRun(tasks = 20): Promise<string> {
    const dir = freshDir();
    const s = await JournalStore.open({ dir });
    await s.createDagRun(runFixture('d', 0));
    const keys = Array.from({ length: tasks }, (_, i) => ({ dagId: 'd', runId: runFixture('d', 0).runId, taskId: `t${i}`, mapIndex: -1 }));
    await s.createTaskInstances(keys.map((k) => tiFixture(k, { state: 'running' })));
    for (const k of keys) await s.updateTaskInstance(k, { state: 'success' });
    await s.updateDagRun('d', runFixture('d', 0).runId, { state: 'success' });
    await s.close();
    return dir;
  }

  it('writes framed records: <length> <crc32> <json>, greppable', async () => {
    const dir = await storeWithRun(2);
    const lines = readFileSync(journalOf(dir), 'utf8').trimEnd().split('\n');
    for (const line of lines) {
      const m = /^(\d+) ([0-9a-f]{8}) (\{.*\})$/.exec(line);
      assert.ok(m, line);
      assert.equal(Buffer.byteLength(m[3]!), Number(m[1]));
      assert.equal(crc32(Buffer.from(m[3]!)).toString(16).padStart(8, '0'), m[2]);
    }
  });

  it('refuses a journal with garbage in the middle, naming file, line and byte, and changes nothing', async () => {
    const dir = await storeWithRun();
    const lines = readFileSync(journalOf(dir), 'utf8').split('\n');
    const at = Math.floor(lines.length * 0.3);
    lines[at] = 'garbage that is not a record';
    writeFileSync(journalOf(dir), lines.join('\n'));
    const before = readFileSync(journalOf(dir));
    await assert.rejects(JournalStore.open({ dir }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_CORRUPT');
      assert.match(e.message, new RegExp(`journal\\.jsonl is corrupt at line ${at + 1} \\(byte \\d+\\)`));
      assert.match(e.message, /riffle store repair --store/);
      return true;
    });
    await assert.rejects(JournalStore.open({ dir, readOnly: true }), /is corrupt at line/);
    assert.deepEqual(readFileSync(journalOf(dir)), before, 'the journal is untouched');
    assert.equal(existsSync(join(dir, 'store.lock')), false, 'a refused open releases the lock');
  });

  it('refuses a flipped bit in a complete record (checksum), even in the last record', async () => {
    const dir = await storeWithRun(2);
    const buf = readFileSync(journalOf(dir));
    const lastLine = buf.lastIndexOf(0x0a, buf.length - 2) + 1;
    buf[lastLine + 30] ^= 0x01;
    writeFileSync(journalOf(dir), buf);
    await assert.rejects(JournalStore.open({ dir, ...quiet }), /checksum mismatch|does not parse|not a record header/);
  });

  it('cuts a torn last record with a warning, keeps everything before it, and appends after it', async () => {
    const dir = await storeWithRun(3);
    const good = readFileSync(journalOf(dir));
    appendFileSync(journalOf(dir), good.subarray(0, 40)); // a crash in the middle of an append
    const warnings: string[] = [];
    const s = await JournalStore.open({ dir, onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cut an incomplete last record .*journal\.jsonl \(line \d+, byte \d+, 40 byte\(s\)/);
    assert.equal((await s.listTaskInstances({ states: ['success'] })).length, 3);
    assert.deepEqual(readFileSync(journalOf(dir)), good, 'cut back to the valid records');
    await s.createDagRun(runFixture('d', 1));
    await s.close();
    const again = await JournalStore.open({ dir, onWarning: (m) => assert.fail(m) });
    assert.equal((await again.listDagRuns()).length, 2);
    await again.close();
  });

  it('a torn snapshot: rebuilt from a complete journal; refused (no stack) when the journal was compacted', async () => {
    const complete = await storeWithRun(2);
    writeFileSync(join(complete, 'snapshot.json'), '{"seq": 5, "dags": [');
    const warnings: string[] = [];
    const s = await JournalStore.open({ dir: complete, onWarning: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /snapshot\.json is corrupt .*rebuilt from it/);
    assert.equal((await s.listTaskInstances({ states: ['success'] })).length, 2);
    await s.close();

    const compacted = await storeWithRun(2);
    const c = await JournalStore.open({ dir: compacted });
    c.compact();
    await c.createDagRun(runFixture('d', 1));
    await c.close();
    const snap = readFileSync(join(compacted, 'snapshot.json'));
    writeFileSync(join(compacted, 'snapshot.json'), snap.subarray(0, snap.length >> 1));
    await assert.rejects(JournalStore.open({ dir: compacted }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_CORRUPT');
      assert.match(e.message, /snapshot\.json is corrupt \(the record is cut short.*\), and the journal does not hold the changes before it/);
      assert.match(e.message, /--discard-snapshot/);
      return true;
    });
  });

  it('opens a store written by an earlier version (bare JSON lines and snapshot) and rewrites it framed', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const run0 = runFixture('d', 0);
    const run1 = runFixture('d', 1);
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ seq: 1, dags: [], runs: [run0], tis: [], xcoms: [] }));
    writeFileSync(journalOf(dir), `${JSON.stringify({ s: 1, o: { t: 'run', v: run0 } })}\n${JSON.stringify({ s: 2, o: { t: 'run', v: run1 } })}\n`);
    const ro = await JournalStore.open({ dir, readOnly: true });
    assert.equal((await ro.listDagRuns()).length, 2);
    await ro.close();
    assert.match(readFileSync(journalOf(dir), 'utf8'), /^\{/, 'a read-only open rewrites nothing');
    const s = await JournalStore.open({ dir, onWarning: (m) => assert.fail(m) });
    assert.equal((await s.listDagRuns()).length, 2);
    await s.close();
    assert.equal(readFileSync(journalOf(dir), 'utf8'), '', 'migrated into the snapshot');
    assert.match(readFileSync(join(dir, 'snapshot.json'), 'utf8'), /^\d+ [0-9a-f]{8} \{"seq":2,/);
    const again = await JournalStore.open({ dir });
    assert.deepEqual((await again.listDagRuns()).map((r) => r.runId), [run0.runId, run1.runId]);
    await again.close();
  });

  it('refuses a journal that does not continue its snapshot (changes missing)', async () => {
    const dir = await storeWithRun(1);
    const s = await JournalStore.open({ dir });
    s.compact();
    await s.close();
    const snap = readFileSync(join(dir, 'snapshot.json'), 'utf8');
    const seq = Number(/"seq":(\d+)/.exec(snap)![1]);
    writeFileSync(journalOf(dir), frameRecord(JSON.stringify({ s: seq + 3, o: { t: 'run', v: runFixture('d', 5) } })));
    await assert.rejects(JournalStore.open({ dir }), new RegExp(`skips from change ${seq} to change ${seq + 3}`));
  });

  it('store check reports the damage; store repair keeps the valid prefix, moves the rest aside and lists what is lost', async () => {
    const dir = await storeWithRun(10);
    const text = readFileSync(journalOf(dir), 'utf8');
    const lines = text.split('\n');
    lines.splice(5, 0, 'xx garbage');
    writeFileSync(journalOf(dir), lines.join('\n'));
    const check = checkJournalStore(dir);
    assert.equal(check.ok, false);
    assert.match(check.problems[0]!, /journal\.jsonl is corrupt at line 6 \(byte \d+\).*5 valid record\(s\) before it, \d+ after it/);
    assert.match(check.repair[0]!, /keep the 5 record\(s\) before line 6/);
    const lostExpected = lines.length - 1 - 6; // records after the garbage line (the last split item is '')
    const r = await repairJournalStore(dir, { now: new Date('2024-01-01T00:00:00Z') });
    assert.equal(r.lost.records, lostExpected);
    assert.equal(r.lost.changes.length, lostExpected);
    assert.match(r.lost.changes.join('\n'), /task d .* t\d → success/);
    const moved = join(dir, 'journal.jsonl.corrupt-2024-01-01T00-00-00-000Z');
    assert.deepEqual(r.movedTo, [moved]);
    assert.equal(readFileSync(moved, 'utf8'), lines.slice(5).join('\n'), 'every removed byte is kept');
    assert.equal(checkJournalStore(dir).ok, true);
    const s = await JournalStore.open({ dir });
    assert.equal((await s.listDagRuns()).length, 1);
    await s.close();
  });

  it('store repair --discard-snapshot is the only way past a snapshot the journal cannot replace', async () => {
    const dir = await storeWithRun(1);
    const s = await JournalStore.open({ dir });
    s.compact();
    await s.createDagRun(runFixture('d', 1));
    await s.close();
    writeFileSync(join(dir, 'snapshot.json'), 'garbage');
    assert.equal(checkJournalStore(dir).ok, false);
    await assert.rejects(repairJournalStore(dir), /--discard-snapshot/);
    assert.equal(readFileSync(join(dir, 'snapshot.json'), 'utf8'), 'garbage', 'nothing moved');
    const r = await repairJournalStore(dir, { discardSnapshot: true });
    assert.match(r.actions.join('\n'), /DISCARDED everything recorded before change/);
    assert.deepEqual(r.after, { dags: 0, runs: 1, taskInstances: 0 });
  });
});

describe('JournalStore files: random damage never passes silently', () => {
  // Every truncation opens as exactly the records before the cut (with a warning when the cut is inside a record);
  // every flipped byte is refused, or (in the last record's header only) cut as a torn tail with a warning.
  // RIFFLE_JOURNAL_FUZZ sets the number of cases (default 60; the tier script runs thousands).
  const CASES = Number(process.env.RIFFLE_JOURNAL_FUZZ ?? 60);
  const SEED = Number(process.env.RIFFLE_JOURNAL_FUZZ_SEED ?? 12345);
  let seed = SEED;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const stateOf = async (dir: string) => {
    const s = await JournalStore.open({ dir, readOnly: true });
    try {
      return JSON.stringify([await s.listDagRuns(), (await s.listTaskInstances({})).sort((a, b) => a.taskId.localeCompare(b.taskId))]);
    } finally {
      await s.close();
    }
  };

  it(`${CASES} truncations and ${CASES} flipped bytes (seed ${SEED})`, async () => {
    const src = freshDir();
    const s = await JournalStore.open({ dir: src });
    await s.createDagRun(runFixture('d', 0));
    const keys = Array.from({ length: 8 }, (_, i) => ({ dagId: 'd', runId: runFixture('d', 0).runId, taskId: `t${i}`, mapIndex: -1 }));
    await s.createTaskInstances(keys.map((k) => tiFixture(k, { state: 'running' })));
    for (const k of keys) await s.updateTaskInstance(k, { state: 'success' });
    await s.close();
    const journal = readFileSync(join(src, 'journal.jsonl'));
    const ends: number[] = [];
    for (let i = journal.indexOf(0x0a); i >= 0; i = journal.indexOf(0x0a, i + 1)) ends.push(i + 1);
    const prefixState = new Map<number, string>();
    const expected = async (bytes: number) => {
      if (!prefixState.has(bytes)) {
        const dir = freshDir();
        mkdirSync(dir);
        writeFileSync(join(dir, 'journal.jsonl'), journal.subarray(0, bytes));
        prefixState.set(bytes, await stateOf(dir));
      }
      return prefixState.get(bytes)!;
    };
    for (let c = 0; c < CASES; c++) {
      const cut = rand(journal.length);
      const dir = freshDir();
      mkdirSync(dir);
      writeFileSync(join(dir, 'journal.jsonl'), journal.subarray(0, cut));
      const warnings: string[] = [];
      (await JournalStore.open({ dir, onWarning: (m) => warnings.push(m) })).close();
      const boundary = Math.max(0, ...ends.filter((e) => e <= cut));
      assert.equal(warnings.length, boundary === cut ? 0 : 1, `cut at ${cut}`);
      assert.equal(await stateOf(dir), await expected(boundary), `cut at ${cut}`);
    }
    for (let c = 0; c < CASES; c++) {
      const at = rand(journal.length);
      const damaged = Buffer.from(journal);
      damaged[at] ^= 1 + rand(255);
      const dir = freshDir();
      mkdirSync(dir);
      writeFileSync(join(dir, 'journal.jsonl'), damaged);
      const warnings: string[] = [];
      let opened: JournalStore | undefined;
      try {
        opened = await JournalStore.open({ dir, onWarning: (m) => warnings.push(m) });
      } catch (e) {
        assert.equal((e as { code?: string }).code, 'STORE_CORRUPT', `flip at ${at}: ${(e as Error).message}`);
        continue;
      }
      await opened.close();
      const lastStart = ends.at(-2) ?? 0;
      assert.ok(at >= lastStart && warnings.length === 1, `flip at ${at} was accepted${warnings.length === 0 ? ' silently' : ''}`);
      assert.equal(await stateOf(dir), await expected(lastStart), `flip at ${at}`);
    }
  });
});

describe('JournalStore files: no symbolic links, no foreign directories', () => {
  it('refuses a store.lock linked to another file, and leaves that file alone', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const victim = join(root, `victim-${n++}.txt`);
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, 'store.lock'));
    await assert.rejects(JournalStore.open({ dir }), (e: Error & { code?: string }) => e.code === 'STORE_PATH_UNSAFE' && /store\.lock is a symbolic link/.test(e.message));
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
  });

  it('refuses a journal.jsonl or snapshot.json linked to another file, and leaves that file alone', async () => {
    for (const name of ['journal.jsonl', 'snapshot.json']) {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      const victim = join(root, `victim-${n++}.txt`);
      writeFileSync(victim, 'precious\n');
      symlinkSync(victim, join(dir, name));
      await assert.rejects(JournalStore.open({ dir }), new RegExp(`${name.replace('.', '\\.')} is a symbolic link`));
      await assert.rejects(JournalStore.open({ dir, readOnly: true }), /is a symbolic link/);
      assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
      assert.equal(existsSync(join(dir, 'store.lock')), false);
    }
  });

  it('never writes task logs through a linked directory', async () => {
    const dir = freshDir();
    const s = await JournalStore.open({ dir });
    const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
    mkdirSync(join(dir, 'logs'), { recursive: true });
    symlinkSync(elsewhere, join(dir, 'logs', 'd'));
    await assert.rejects(s.appendLog({ dagId: 'd', runId: 'r', taskId: 't', mapIndex: -1 }, 1, 'hello'), /logs\/d is a symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
    await s.close();
  });

  it('replaces a stale lock left by a dead process; refuses a live one', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(dir, 'store.lock'), JSON.stringify({ pid: dead, hostname: hostname() }));
    const s = await JournalStore.open({ dir });
    assert.equal(JSON.parse(readFileSync(join(dir, 'store.lock'), 'utf8')).pid, process.pid);
    await s.close();
    assert.equal(existsSync(join(dir, 'store.lock')), false);
    writeFileSync(join(dir, 'store.lock'), JSON.stringify({ pid: process.ppid, hostname: hostname() }));
    await assert.rejects(JournalStore.open({ dir }), new RegExp(`in use by process ${process.ppid}`));
  });

  it('refuses a store directory others can write, or that another user owns', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    await assert.rejects(JournalStore.open({ dir }), /is writable by every user \(mode 777\)[\s\S]*chmod go-w/);
    chmodSync(dir, 0o775);
    await assert.rejects(JournalStore.open({ dir }), /is writable by its group/);
    chmodSync(dir, 0o755);
    await (await JournalStore.open({ dir })).close();
    if (process.getuid?.() === 0) {
      chownSync(dir, 65534, 65534);
      await assert.rejects(JournalStore.open({ dir }), /belongs to user 65534, not to the current user/);
      const ro = await JournalStore.open({ dir, readOnly: true }); // reading someone else's store is allowed
      await ro.close();
    }
  });
});
