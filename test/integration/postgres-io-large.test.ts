// A large table through io.postgres.read (split over one snapshot) and through io.postgres.changes' snapshot, counted
// exactly, with the heap checked to stay bounded (cursor streaming). Rows: RIFFLE_PG_LARGE_ROWS (the PostgreSQL tier
// sets 1,000,000); skipped when unset, so npm test stays fast.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresChangesSource } from '../../src/io/postgres/changes-source.ts';
import * as postgres from '../../src/io/postgres/index.ts';

const url = process.env.RIFFLE_PG_URL;
const count = Number(process.env.RIFFLE_PG_LARGE_ROWS ?? 0);
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `riffle_big_${id}`;
let admin: pg.Client;
const skip = !url ? 'needs RIFFLE_PG_URL' : !(count > 0) ? 'set RIFFLE_PG_LARGE_ROWS (the PostgreSQL tier does)' : false;

before(async () => {
  if (skip) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.big (id bigint PRIMARY KEY, payload text)`);
  await admin.query(`INSERT INTO ${schema}.big SELECT i, md5(i::text) FROM generate_series(1, $1) i`, [count]);
});
after(async () => {
  if (skip) return;
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [`riffle_big_${id}`]).catch(() => {});
  await admin.query(`DROP PUBLICATION IF EXISTS riffle_big_${id}`).catch(() => {});
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

test('large: a split read counts every row once with bounded memory', { skip }, async () => {
  const started = Date.now();
  const parts = await new postgres.PostgresSource({ table: `${schema}.big` }, { url: url!, splitBy: 'id', splits: 4, fetchSize: 5000 }).split(0);
  let rows = 0;
  let sum = 0n;
  let peak = 0;
  for (const part of parts) {
    for await (const batch of part.read()) {
      rows += batch.values.length;
      for (const r of batch.values) sum += r.id as bigint;
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  assert.equal(rows, count);
  assert.equal(sum, (BigInt(count) * BigInt(count + 1)) / 2n);
  assert.ok(peak < 512 * 2 ** 20, `heap peaked at ${(peak / 2 ** 20).toFixed(0)} MiB`);
  console.log(`read ${rows} rows in ${Date.now() - started} ms (${Math.round(rows / ((Date.now() - started) / 1000))} rows/s), heap peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
});

test('large: the CDC snapshot reads every row once as r events', { skip }, async () => {
  await admin.query(`CREATE PUBLICATION riffle_big_${id} FOR TABLE ${schema}.big`);
  const started = Date.now();
  const reader = await new PostgresChangesSource(`riffle_big_${id}`, `riffle_big_${id}`, { url: url!, fetchSize: 5000 }).open(undefined);
  let reads = 0;
  try {
    while (!reader.position().snapshotDone) {
      const batch = await reader.next(100);
      if (batch) reads += batch.values.filter((e) => e.op === 'r').length;
    }
  } finally {
    await reader.close();
  }
  assert.equal(reads, count);
  console.log(`CDC snapshot: ${reads} rows in ${Date.now() - started} ms`);
});
