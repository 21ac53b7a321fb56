// The pgoutput decoder over bytes from a real server: a logical slot read with pg_logical_slot_get_binary_changes
// (the same messages START_REPLICATION streams). Needs RIFFLE_PG_URL and a server with wal_level=logical
// (.ci/tiers/postgres.sh starts one); skips otherwise, unless RIFFLE_INTEGRATION=1 with a URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ChangeAssembler, type ChangeTransaction } from '../../src/io/postgres/change-events.ts';
import { decodePgOutput, parseLsn } from '../../src/io/postgres/pgoutput.ts';
import { ReplicationStream } from '../../src/io/postgres/replication-stream.ts';
import { PostgresChangesSource } from '../../src/io/postgres/changes-source.ts';
import { dropCdc, setupCdc, slotStatus } from '../../src/io/postgres/cdc-admin.ts';
import type { ChangeEvent } from '../../src/io/postgres/change-events.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `riffle_cdc_${id}`;
const slot = `riffle_cdc_${id}`;
let admin: pg.Client;
let skip: string | false = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows: [{ wal_level: level }] } = await admin.query('SHOW wal_level');
  if (level !== 'logical') {
    skip = `the server runs with wal_level=${level}; CDC needs wal_level=logical (.ci/tiers/postgres.sh sets it)`;
    if (process.env.RIFFLE_INTEGRATION === '1') throw new Error(skip);
    return;
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.orders (id bigint PRIMARY KEY, amount numeric(10,2), note text, big text)`);
  await admin.query(`CREATE TABLE ${schema}.audit (id int) `);
  await admin.query(`ALTER TABLE ${schema}.audit REPLICA IDENTITY FULL`);
  await admin.query(`CREATE PUBLICATION ${slot} FOR TABLE ${schema}.orders, ${schema}.audit`);
  await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
});
after(async () => {
  if (!url || !admin) return;
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch(() => {});
  await admin.query(`DROP PUBLICATION IF EXISTS ${slot}`).catch(() => {});
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

/** Consumes the slot's changes so far, decoded and assembled. */
async function changes(assembler: ChangeAssembler): Promise<ChangeTransaction[]> {
  const { rows } = await admin.query<{ lsn: string; data: Buffer }>(
    `SELECT lsn::text AS lsn, data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)`, [slot, slot],
  );
  const txs: ChangeTransaction[] = [];
  for (const row of rows) {
    const tx = assembler.push(decodePgOutput(new Uint8Array(row.data)), parseLsn(row.lsn));
    if (tx) txs.push(tx);
  }
  return txs;
}

test('cdc: inserts, updates (TOAST unchanged), deletes, truncate and an added column, from real pgoutput bytes', async (t) => {
  if (skip) return t.skip(skip);
  const assembler = new ChangeAssembler();
  const big = 'x'.repeat(200_000); // compressed and TOASTed out of line
  await admin.query('BEGIN');
  await admin.query(`INSERT INTO ${schema}.orders VALUES (1, 10.50, 'a', $1), (2, 20, 'b', NULL)`, [Array.from({ length: 20000 }, (_x, i) => String(i * 7919 % 10007)).join(',')]);
  await admin.query(`INSERT INTO ${schema}.audit VALUES (7)`);
  await admin.query('COMMIT');
  await admin.query(`UPDATE ${schema}.orders SET note = 'a2' WHERE id = 1`); // big is unchanged and TOASTed: not sent
  await admin.query(`UPDATE ${schema}.orders SET id = 3 WHERE id = 2`); // key changed: the old key is sent
  await admin.query(`DELETE FROM ${schema}.orders WHERE id = 3`);
  await admin.query(`DELETE FROM ${schema}.audit`); // replica identity full: the whole old row
  await admin.query(`ALTER TABLE ${schema}.orders ADD COLUMN at timestamptz`);
  await admin.query(`INSERT INTO ${schema}.orders (id, at, big) VALUES (4, '2024-05-01 12:00:00.123456+00', $1)`, [big]);
  await admin.query(`TRUNCATE ${schema}.audit`);
  const txs = await changes(assembler);
  assert.equal(txs.length, 7);
  const [first, upd, keyChange, del, delFull, added, trunc] = txs;
  assert.deepEqual(first!.events.map((e) => [e.op, e.source.table, e.after?.id]), [['c', 'orders', 1n], ['c', 'orders', 2n], ['c', 'audit', 7]]);
  assert.equal(new Set(first!.events.map((e) => e.source.txId)).size, 1, 'one transaction kept together');
  assert.deepEqual(first!.events[0]!.after!.amount, '10.50');
  assert.deepEqual([upd!.events[0]!.op, upd!.events[0]!.after, upd!.events[0]!.unchanged], ['u', { id: 1n, amount: '10.50', note: 'a2' }, ['big']]);
  assert.deepEqual([keyChange!.events[0]!.before, keyChange!.events[0]!.after!.id], [{ id: 2n }, 3n]);
  assert.deepEqual([del!.events[0]!.op, del!.events[0]!.before], ['d', { id: 3n }]);
  assert.deepEqual(delFull!.events[0]!.before, { id: 7 });
  assert.equal(added!.events[0]!.after!.at, '2024-05-01T12:00:00.123456Z');
  assert.equal(added!.events[0]!.after!.big, big);
  assert.deepEqual(trunc!.events.map((e) => [e.op, e.source.table]), [['t', 'audit']]);
  for (let i = 1; i < txs.length; i++) assert.ok(parseLsn(txs[i]!.lsn) > parseLsn(txs[i - 1]!.lsn), 'commit LSNs increase');
  assert.ok(first!.events.every((e) => e.source.schema === schema && Math.abs(e.source.ts_ms - Date.now()) < 60_000));
});

test('cdc stream: START_REPLICATION delivers transactions; the confirmed LSN advances only when told; a restart resumes after it', async (t) => {
  if (skip) return t.skip(skip);
  const streamSlot = `${slot}_s`;
  await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [streamSlot]);
  t.after(() => admin.query('SELECT pg_drop_replication_slot($1)', [streamSlot]).catch(() => {}));
  await admin.query(`INSERT INTO ${schema}.orders (id) VALUES (100)`);
  await admin.query(`INSERT INTO ${schema}.orders (id) VALUES (101)`);
  const read = async (stream: ReplicationStream, want: number) => {
    const assembler = new ChangeAssembler();
    const txs: ChangeTransaction[] = [];
    for (let i = 0; i < 100 && txs.length < want; i++) {
      for (const m of await stream.next(200)) {
        const tx = assembler.push(decodePgOutput(m.payload), m.walStart);
        if (tx) txs.push(tx);
      }
    }
    return txs;
  };
  const confirmedLsn = async () => (await admin.query('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1', [streamSlot])).rows[0].l as string;
  const before = await confirmedLsn();
  const first = await ReplicationStream.start({ url: url!, slot: streamSlot, publication: slot, statusIntervalMs: 100 });
  const txs = await read(first, 2);
  assert.deepEqual(txs.map((tx) => tx.events[0]!.after!.id), [100n, 101n]);
  await new Promise((r) => setTimeout(r, 300)); // status updates went out: they must not confirm what was not confirmed
  assert.equal(await confirmedLsn(), before);
  first.confirm(txs[0]!.endLsn);
  await first.close();
  assert.equal(parseLsn(await confirmedLsn()), txs[0]!.endLsn);
  // Restart: the first transaction is not delivered again, the second is.
  const second = await ReplicationStream.start({ url: url!, slot: streamSlot, publication: slot });
  const again = await read(second, 1);
  await second.close();
  assert.deepEqual(again.map((tx) => tx.events[0]!.after!.id), [101n]);
  await assert.rejects(ReplicationStream.start({ url: url!, slot: 'riffle_no_such_slot', publication: slot }), /does not exist[\s\S]*hint: create the publication and slot/);
});

test('io.postgres.changes: snapshot (r) then stream with nothing missed or doubled; reopen at a position resumes there; a dropped slot is a clear error', async (t) => {
  if (skip) return t.skip(skip);
  const pub = `${slot}_p`;
  const changeSlot = `${slot}_c`;
  await admin.query(`CREATE TABLE ${schema}.items (id int PRIMARY KEY, name text)`);
  await admin.query(`INSERT INTO ${schema}.items SELECT i, 'n' || i FROM generate_series(1, 2500) i`);
  await admin.query(`CREATE PUBLICATION ${pub} FOR TABLE ${schema}.items`);
  t.after(async () => {
    await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [changeSlot]).catch(() => {});
    await admin.query(`DROP PUBLICATION IF EXISTS ${pub}`);
  });
  const source = new PostgresChangesSource(pub, changeSlot, { url: url!, fetchSize: 1000 });
  const reader = await source.open(undefined);
  // After the slot and its snapshot exist: these must come through the stream, not the snapshot.
  await admin.query(`INSERT INTO ${schema}.items VALUES (3000, 'late')`);
  await admin.query(`UPDATE ${schema}.items SET name = 'changed' WHERE id = 1`);
  const drain = async (r: typeof reader, until: (events: ChangeEvent[]) => boolean) => {
    const events: ChangeEvent[] = [];
    for (let i = 0; i < 200 && !until(events); i++) {
      const batch = await r.next(100);
      if (batch) events.push(...batch.values);
    }
    return events;
  };
  const events = await drain(reader, (e) => e.filter((x) => x.op !== 'r').length >= 2);
  const reads = events.filter((e) => e.op === 'r');
  assert.equal(reads.length, 2500);
  assert.equal(reads.find((e) => e.after!.id === 1)!.after!.name, 'n1', 'the snapshot is as of the slot, before the update');
  assert.deepEqual(events.filter((e) => e.op !== 'r').map((e) => [e.op, e.after!.id, e.after!.name]), [['c', 3000, 'late'], ['u', 1, 'changed']]);
  const position = reader.position();
  assert.equal(position.snapshotDone, true);
  await reader.close();
  await admin.query(`DELETE FROM ${schema}.items WHERE id = 3000`);
  const resumed = await source.open(position);
  const more = await drain(resumed, (e) => e.length >= 1);
  await resumed.close();
  assert.deepEqual(more.map((e) => [e.op, e.before]), [['d', { id: 3000 }]]);
  const { rows: [{ l }] } = await admin.query('SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1', [changeSlot]);
  assert.equal(l, position.lsn, 'opening at a restored position confirmed it');
  await admin.query('SELECT pg_drop_replication_slot($1)', [changeSlot]);
  await assert.rejects(source.open(position), /the slot is gone, so the changes after .* are lost/);
});

test('cdc admin: setup is idempotent, status shows lag that confirming clears, drop removes the slot', async (t) => {
  if (skip) return t.skip(skip);
  const adminSlot = `${slot}_a`;
  const status = await setupCdc(url!, { publication: `${slot}_ap`, slot: adminSlot, tables: [`${schema}.orders`] });
  t.after(() => dropCdc(url!, { slot: adminSlot, publication: `${slot}_ap` }));
  assert.equal((await setupCdc(url!, { publication: `${slot}_ap`, slot: adminSlot })).slot, adminSlot);
  assert.equal(status.active, false);
  await admin.query(`INSERT INTO ${schema}.orders (id) VALUES (500)`);
  const lagging = (await slotStatus(url!, adminSlot))!;
  assert.ok(lagging.lagBytes! > 0, `lag ${lagging.lagBytes}`);
  const stream = await ReplicationStream.start({ url: url!, slot: adminSlot, publication: `${slot}_ap` });
  stream.confirm(parseLsn(lagging.currentLsn));
  await stream.close();
  assert.equal((await slotStatus(url!, adminSlot))!.confirmedLsn, lagging.currentLsn);
  await dropCdc(url!, { slot: adminSlot });
  assert.equal(await slotStatus(url!, adminSlot), undefined);
});
