// End-to-end test of examples/cdc-warehouse.ts on a real PostgreSQL (.ci/tiers/postgres.sh runs it; skipped without
// RIFFLE_PG_URL unless RIFFLE_INTEGRATION=1): a snapshot of two tables, then inserts, updates (TOASTed values left
// unchanged, a key changed), deletes, a transaction of several statements, an added column and a TRUNCATE; after each
// run of the example (it stops once caught up) every Delta table equals its source table, row for row. The second run
// starts from the slot (no checkpoint confirmed it), so it also shows that replaying changes in order ends in the
// same tables. The CLI runs it once too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { Pipeline } from 'riffle';
import { DeltaTable } from 'riffle/lakehouse';
import cdcWarehouse, { deltaType, deltaValue } from './cdc-warehouse.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const ROOT = join(import.meta.dirname, '..');
const id = randomUUID().replaceAll('-', '').slice(0, 10);
const schema = `riffle_wh_${id}`;
const pub = `riffle_wh_${id}`;
const slot = `riffle_wh_${id}`;
let admin: pg.Client;

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2), notes text, visits int)`);
  await admin.query(`CREATE TABLE ${schema}.orders (id int PRIMARY KEY, customer bigint, amount float8, paid bool)`);
  // Some notes are large and incompressible enough to be TOASTed out of line (an update that does not touch them does
  // not send them).
  await admin.query(`INSERT INTO ${schema}.customers SELECT i, 'c' || i, i * 1.25, CASE WHEN i % 50 = 0 THEN (SELECT string_agg(md5(i::text || '.' || g::text), '') FROM generate_series(1, 4000) g) ELSE 'n' || i END, i % 7 FROM generate_series(1, 2000) i`);
  await admin.query(`INSERT INTO ${schema}.orders SELECT i, 1 + i % 2000, i / 3.0, i % 2 = 0 FROM generate_series(1, 3000) i`);
  await admin.query(`CREATE PUBLICATION ${pub} FOR TABLE ${schema}.customers, ${schema}.orders`);
});
after(async () => {
  if (!url || !admin) return;
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch(() => {});
  await admin.query(`DROP PUBLICATION IF EXISTS ${pub}`).catch(() => {});
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

async function runExample(warehouse: string): Promise<void> {
  const p = Pipeline.create();
  await cdcWarehouse.build(p, cdcWarehouse.parseParams({ url: url!, publication: pub, slot, warehouse }));
  await p.run();
}

/** Rows as comparable text: every value through the example's own mapping, then String; sorted by key. */
const canonical = (rows: readonly Record<string, unknown>[], types: Map<string, string>) => rows
  .map((r) => JSON.stringify(Object.fromEntries([...types.keys()].sort().map((c) => [c, r[c] === null || r[c] === undefined ? null : String(deltaValue(r[c], deltaType(types.get(c)!)))]))))
  .sort();

async function assertMirrored(warehouse: string, table: string, when: string): Promise<number> {
  const { rows: cols } = await admin.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, t.typname AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, [`${schema}.${table}`],
  );
  const types = new Map(cols.map((c) => [c.name, c.type]));
  // The source through pg's text values: numeric, bigint as text (exact), float8 as a number, bool as a boolean.
  const { rows: source } = await admin.query(`SELECT * FROM ${schema}.${table}`);
  const mirrored = await (await DeltaTable.open(join(warehouse, `${schema}.${table}`))).read();
  const expected = canonical(source, types);
  const actual = canonical(mirrored, types);
  assert.equal(actual.length, expected.length, `${when}: ${table} has ${actual.length} rows in Delta, ${expected.length} in PostgreSQL`);
  for (let i = 0; i < expected.length; i++) assert.equal(actual[i], expected[i], `${when}: ${table} row ${i} differs: ${actual[i]!.slice(0, 300)} vs ${expected[i]!.slice(0, 300)}`);
  return expected.length;
}

test('cdc-warehouse: snapshot, then inserts/updates/deletes/TOAST-unchanged/key change/added column/truncate → Delta tables equal to the source after each run', { skip }, async () => {
  const warehouse = mkdtempSync(join(tmpdir(), 'riffle-cdc-warehouse-'));
  await runExample(warehouse);
  assert.equal(await assertMirrored(warehouse, 'customers', 'after the snapshot'), 2000);
  assert.equal(await assertMirrored(warehouse, 'orders', 'after the snapshot'), 3000);

  // Changes: each kind, several in one transaction, the same row changed several times.
  await admin.query(`INSERT INTO ${schema}.customers SELECT i, 'new' || i, 0, NULL, NULL FROM generate_series(2001, 2300) i`);
  await admin.query(`UPDATE ${schema}.customers SET name = name || '!', visits = coalesce(visits, 0) + 1 WHERE id % 50 = 0`); // TOASTed notes unchanged
  await admin.query(`UPDATE ${schema}.customers SET balance = balance + 1 WHERE id BETWEEN 100 AND 400`);
  await admin.query(`DELETE FROM ${schema}.customers WHERE id % 9 = 0`);
  await admin.query('BEGIN');
  await admin.query(`UPDATE ${schema}.customers SET id = 10000 + id WHERE id IN (1, 2, 50)`); // key changed (50 has TOASTed notes)
  await admin.query(`INSERT INTO ${schema}.customers VALUES (9, 'back', 1, 'again', 1)`); // deleted above, inserted again
  await admin.query(`UPDATE ${schema}.customers SET name = 'twice' WHERE id = 100`);
  await admin.query(`UPDATE ${schema}.customers SET name = 'thrice', notes = NULL WHERE id = 100`);
  await admin.query(`DELETE FROM ${schema}.orders WHERE paid`);
  await admin.query('COMMIT');
  await admin.query(`ALTER TABLE ${schema}.customers ADD COLUMN tier text`);
  await admin.query(`UPDATE ${schema}.customers SET tier = CASE WHEN balance > 1000 THEN 'gold' ELSE 'basic' END WHERE id % 3 = 0 OR id % 50 = 0`);
  await admin.query(`TRUNCATE ${schema}.orders`);
  await admin.query(`INSERT INTO ${schema}.orders VALUES (1, 3, 9.5, true), (2, 4, 0.1, false)`);

  await runExample(warehouse);
  assert.ok(await assertMirrored(warehouse, 'customers', 'after the changes') > 2000);
  assert.equal(await assertMirrored(warehouse, 'orders', 'after the changes'), 2);
  const table = await DeltaTable.open(join(warehouse, `${schema}.customers`));
  assert.ok((await table.schema()).fields.some((f) => f.name === 'tier'), 'the added column reached the Delta table');
  const [toast] = (await table.read()).filter((r) => r.id === 10050n);
  assert.equal(String(toast!.notes).length, 128_000, 'a TOASTed value unchanged by the update (and moved by the key change) kept its value');
  assert.equal(toast!.name, 'c50!');

  // The CLI runs the same example (and, caught up, ends by itself): more changes, mirrored again.
  await admin.query(`UPDATE ${schema}.customers SET visits = 99 WHERE id < 30`);
  await admin.query(`DELETE FROM ${schema}.orders WHERE id = 1`);
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'examples/cdc-warehouse.ts', `--publication=${pub}`, `--slot=${slot}`, `--warehouse=${warehouse}`], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, RIFFLE_PG_URL: url!, NO_COLOR: '1' }, timeout: 120_000,
  });
  assert.equal(cli.status, 0, cli.stderr);
  await assertMirrored(warehouse, 'customers', 'after the CLI run');
  assert.equal(await assertMirrored(warehouse, 'orders', 'after the CLI run'), 1);
});
