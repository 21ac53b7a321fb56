// io.postgres.changes' reader on a real server (.ci/tiers/postgres.sh), the change-data-capture cases of issue 16
// through START_REPLICATION (not the SQL peek functions): a column added mid-stream, TOASTed values left unchanged
// (marked, never null), TRUNCATE, a transaction larger than the stream's buffer kept in one batch, the slot's
// confirmed LSN advanced only by finalizeCheckpoint (a restart resumes after the last finalized position and reads
// what came after it again), `until: 'caughtUp'`, and a slot dropped while streaming (a clear error naming it).
// Skips without RIFFLE_PG_URL unless RIFFLE_INTEGRATION=1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MAX_TIMESTAMP } from '../../src/model/index.ts';
import { PostgresChangesSource, type ChangesReader } from '../../src/io/postgres/changes-source.ts';
import type { ChangeEvent } from '../../src/io/postgres/change-events.ts';
import { changes } from '../../src/io/postgres/index.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `riffle_cdcs_${id}`;
const pub = `riffle_cdcs_${id}`;
let admin: pg.Client;
const slots: string[] = [];

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.docs (id int PRIMARY KEY, title text, body text)`);
  await admin.query(`CREATE TABLE ${schema}.log (id int)`);
  await admin.query(`CREATE PUBLICATION ${pub} FOR TABLE ${schema}.docs, ${schema}.log`);
});
after(async () => {
  if (!url || !admin) return;
  for (const s of slots) await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [s]).catch(() => {});
  await admin.query(`DROP PUBLICATION IF EXISTS ${pub}`).catch(() => {});
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

const newSlot = (name: string) => {
  const s = `${pub}_${name}`;
  slots.push(s);
  return s;
};

/** Batches until `done(events)` holds (or ~20 s). */
async function drain(reader: ChangesReader, done: (events: ChangeEvent[], batches: ChangeEvent[][]) => boolean) {
  const events: ChangeEvent[] = [];
  const batches: ChangeEvent[][] = [];
  for (let i = 0; i < 200 && !done(events, batches); i++) {
    const batch = await reader.next(100);
    if (batch) { events.push(...batch.values); batches.push([...batch.values]); }
  }
  return { events, batches };
}

const confirmedLsn = async (slot: string) => (await admin.query('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]?.l as string | undefined;

async function until<T>(what: string, f: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('changes stream: an added column mid-stream, TOAST unchanged marked (not null), TRUNCATE, a 25,000-row transaction in one batch', { skip }, async () => {
  const slot = newSlot('g');
  const reader = await new PostgresChangesSource(pub, slot, { url: url!, snapshot: false }).open(undefined);
  try {
    const body = Array.from({ length: 30_000 }, (_x, i) => String((i * 7919) % 10007)).join(','); // TOASTed out of line
    await admin.query(`INSERT INTO ${schema}.docs VALUES (1, 't1', $1)`, [body]);
    const first = await drain(reader, (e) => e.length >= 1);
    assert.deepEqual([first.events[0]!.op, first.events[0]!.after!.body], ['c', body]);

    // Schema change while the reader streams: the next change carries the new column.
    await admin.query(`ALTER TABLE ${schema}.docs ADD COLUMN tags text DEFAULT 'none'`);
    await admin.query(`UPDATE ${schema}.docs SET title = 't1b', tags = 'x' WHERE id = 1`);
    await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (2, 't2')`);
    const second = await drain(reader, (e) => e.length >= 2);
    const [upd, ins] = second.events;
    assert.equal(upd!.op, 'u');
    assert.deepEqual(upd!.after, { id: 1, title: 't1b', tags: 'x' }, 'the unchanged TOASTed body is left out of after, not null');
    assert.ok(!('body' in upd!.after!));
    assert.deepEqual(upd!.unchanged, ['body']);
    assert.deepEqual(ins!.after, { id: 2, title: 't2', body: null, tags: 'none' });
    assert.equal(ins!.unchanged, undefined);

    // A transaction bigger than the stream's buffer (10,000 frames) arrives in one batch, its events in order.
    await admin.query(`INSERT INTO ${schema}.log SELECT i FROM generate_series(1, 25000) i`);
    await admin.query(`TRUNCATE ${schema}.log`);
    const third = await drain(reader, (e) => e.some((x) => x.op === 't'));
    const big = third.batches.filter((b) => b.some((e) => e.source.table === 'log' && e.op === 'c'));
    assert.equal(big.length, 1, `the transaction is not split across batches: ${big.map((b) => `${b.length} events of ${new Set(b.map((e) => e.source.txId)).size} tx`)}`);
    assert.equal(big[0]!.filter((e) => e.op === 'c').length, 25_000);
    assert.deepEqual(big[0]!.slice(0, 3).map((e) => e.after!.id), [1, 2, 3]);
    assert.equal(new Set(big[0]!.filter((e) => e.op === 'c').map((e) => e.source.txId)).size, 1, 'one transaction (a batch may hold several whole ones)');
    assert.deepEqual(third.events.filter((e) => e.op === 't').map((e) => [e.source.schema, e.source.table, e.before, e.after]), [[schema, 'log', null, null]]);
  } finally {
    await reader.close();
  }
});

test('changes stream: the confirmed LSN advances only at finalizeCheckpoint; a restart resumes after the last finalized position', { skip }, async () => {
  const slot = newSlot('r');
  await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (100, 'before the slot')`);
  const source = new PostgresChangesSource(pub, slot, { url: url!, fetchSize: 2 });
  const reader = await source.open(undefined);
  const created = await confirmedLsn(slot);
  // Mid-snapshot: a checkpoint's position confirms nothing (the snapshot's rows are not in the slot).
  const snap = await reader.next(100);
  assert.ok(snap && snap.values.every((e) => e.op === 'r'));
  assert.equal(reader.position().snapshotDone, false);
  await reader.finalizeCheckpoint(reader.position());
  await drain(reader, () => reader.position().snapshotDone);
  await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (101, 'a')`);
  const a = await drain(reader, (e) => e.some((x) => x.op === 'c'));
  const afterA = reader.position();
  assert.deepEqual(a.events.filter((e) => e.op === 'c').map((e) => e.after!.id), [101]);
  await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (102, 'b')`);
  const b = await drain(reader, (e) => e.length >= 1);
  assert.deepEqual(b.events.map((e) => e.after!.id), [102]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await confirmedLsn(slot), created, 'reading does not confirm');
  await reader.finalizeCheckpoint(afterA);
  await until('the confirmed LSN', async () => (await confirmedLsn(slot)) === afterA.lsn);
  await reader.close(); // a crash before the checkpoint holding 102 completed

  // Restart without a restored position (the slot's own confirmed LSN) and with it: 102 again, 101 never.
  for (const position of [undefined, afterA]) {
    const resumed = await source.open(position);
    try {
      const again = await drain(resumed, (e) => e.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      const more = await resumed.next(100);
      assert.deepEqual([...again.events, ...(more?.values ?? [])].map((e) => [e.op, e.after!.id]), [['c', 102]]);
    } finally {
      await resumed.close();
    }
  }
});

test("changes: until 'caughtUp' ends after the changes committed before the read opened (watermark +∞); bad options are rejected", { skip }, async () => {
  const slot = newSlot('u');
  await new PostgresChangesSource(pub, slot, { url: url!, snapshot: false }).open(undefined).then((r) => r.close());
  await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (200, 'x'), (201, 'y')`);
  await admin.query(`DELETE FROM ${schema}.docs WHERE id = 200`);
  const reader = await new PostgresChangesSource(pub, slot, { url: url!, until: 'caughtUp' }).open(undefined);
  try {
    const events: ChangeEvent[] = [];
    let ended = false;
    for (let i = 0; i < 100 && !ended; i++) {
      const batch = await reader.next(100);
      if (batch) events.push(...batch.values);
      ended = reader.watermark() === MAX_TIMESTAMP;
    }
    assert.ok(ended, 'the read ended');
    assert.deepEqual(events.map((e) => [e.op, (e.after ?? e.before)!.id]), [['c', 200], ['c', 201], ['d', 200]]);
    assert.equal(await reader.next(10), null);
  } finally {
    await reader.close();
  }
  assert.throws(() => changes(pub, slot, { url: url!, until: 'drained' as never }), /option 'until' must be 'caughtUp'/);
  assert.throws(() => changes(pub, slot, { url: url!, untill: 'caughtUp' } as never), /unknown option 'untill'/);
});

test('changes stream: a slot dropped while streaming is an error naming the slot and the LSN', { skip }, async () => {
  const slot = newSlot('d');
  const reader = await new PostgresChangesSource(pub, slot, { url: url!, snapshot: false }).open(undefined);
  try {
    await admin.query(`INSERT INTO ${schema}.docs (id, title) VALUES (300, 'z')`);
    await drain(reader, (e) => e.length >= 1);
    const lsn = reader.position().lsn;
    // An operator ends the walsender and drops the slot (it cannot be dropped while active).
    await until('the slot dropped', async () => {
      await admin.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot]);
      try {
        await admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return true;
      } catch {
        return false;
      }
    });
    await assert.rejects(drain(reader, () => false), (e: Error & { code?: string }) => {
      assert.match(e.message, new RegExp(`io\\.postgres\\.changes\\(${slot}\\): the replication slot '${slot}' was dropped while streaming \\(last transaction read ends at LSN ${lsn.replace('/', '\\/')}\\)`));
      assert.match(e.message, /hint: .*new snapshot/);
      assert.equal(e.code, 'POSTGRES_FAILED');
      return true;
    });
  } finally {
    await reader.close();
  }
});
