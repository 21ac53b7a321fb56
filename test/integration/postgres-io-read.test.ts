// io.postgres.read against a real server (RIFFLE_PG_URL; .ci/tiers/postgres.sh starts one). Skips without a URL,
// unless RIFFLE_INTEGRATION=1, where a missing server is a failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Pipeline } from '../../src/index.ts';
import * as postgres from '../../src/io/postgres/index.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const schema = `riffle_io_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
let admin: pg.Client;

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.t (id bigint, amount numeric(20,4), at timestamptz, d date, tags text[], doc jsonb, raw bytea)`);
  await admin.query(`INSERT INTO ${schema}.t SELECT i, i * 1.5, timestamptz '2024-05-01 00:00:00.000001+00' + i * interval '1 second', date '2024-05-01', ARRAY['a', 'b"c'], jsonb_build_object('i', i), '\\x00ff'
    FROM generate_series(1, 2500) i`);
  await admin.query(`INSERT INTO ${schema}.t (id) VALUES (NULL), (9007199254740993)`);
});
after(async () => {
  if (!url) return;
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

async function collect(transform: ReturnType<typeof postgres.read>) {
  const p = Pipeline.create();
  const rows: postgres.PgRow[] = [];
  p.apply(transform).map((r) => void rows.push(r));
  await p.run();
  return rows;
}

test('read: a table streamed in FETCH batches, typed values', { skip }, async () => {
  const rows = await collect(postgres.read({ table: `${schema}.t` }, { url: url!, fetchSize: 100 }));
  assert.equal(rows.length, 2502);
  const first = rows.find((r) => r.id === 1n)!;
  assert.deepEqual(first, {
    id: 1n, amount: '1.5000', at: '2024-05-01T00:00:01.000001Z', d: '2024-05-01', tags: ['a', 'b"c'], doc: { i: 1 }, raw: Uint8Array.from([0, 255]),
  });
  assert.ok(rows.some((r) => r.id === 9007199254740993n), 'int8 beyond 2^53 kept exactly');
});

test('read: split by key ranges over one snapshot — every row once, NULL keys included, later writes unseen', { skip }, async () => {
  const source = new postgres.PostgresSource(`SELECT id FROM ${schema}.t WHERE id < $1 OR id IS NULL`, { url: url!, params: [100000], splitBy: 'id', splits: 4 });
  const parts = await source.split(0);
  assert.equal(parts.length, 4);
  // Written after the snapshot was exported: no split may see it.
  await admin.query(`INSERT INTO ${schema}.t (id) VALUES (50), (3000)`);
  const ids: (bigint | null)[] = [];
  for (const part of parts.reverse()) for await (const batch of part.read()) ids.push(...batch.values.map((r) => r.id as bigint | null));
  assert.equal(ids.length, 2501);
  assert.equal(new Set(ids).size, 2501, 'no row read twice');
  assert.ok(ids.includes(null));
  await admin.query(`DELETE FROM ${schema}.t WHERE id IN (50, 3000) AND amount IS NULL`);
});

test('read: split read through a pipeline equals the unsplit read', { skip }, async () => {
  const split = await collect(postgres.read({ table: `${schema}.t` }, { url: url!, splitBy: 'id', splits: 3 }));
  const whole = await collect(postgres.read(`SELECT * FROM ${schema}.t`, { url: url! }));
  const key = (r: postgres.PgRow) => String(r.id);
  assert.deepEqual(split.map(key).sort(), whole.map(key).sort());
});

test('read: a bad query and an unreachable server are clear errors', { skip }, async () => {
  await assert.rejects(collect(postgres.read('SELECT nope FROM nowhere', { url: url! })), /the query failed: relation "nowhere" does not exist/);
  const wrong = new URL(url!);
  wrong.port = '1';
  wrong.password = 'secret';
  await assert.rejects(collect(postgres.read('SELECT 1', { url: wrong.toString() })), (e: Error) => /cannot connect to/.test(e.message) && !e.message.includes('secret'));
  await assert.rejects(new postgres.PostgresSource(`SELECT * FROM ${schema}.t`, { url: url!, splitBy: 'doc', splits: 2 }).split(0), /min|integer/);
});
