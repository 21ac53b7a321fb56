// io.postgres.write against a real server (RIFFLE_PG_URL; .ci/tiers/postgres.sh starts one). Skips without a URL,
// unless RIFFLE_INTEGRATION=1, where a missing server is a failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { create, Pipeline, type ErrorRecord } from '../../src/index.ts';
import * as postgres from '../../src/io/postgres/index.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const schema = `riffle_iow_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
let admin: pg.Client;
/** Prepared transactions a failing test may leave behind (they would block dropping the schema). */
const preparedGids: string[] = [];

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
});
after(async () => {
  if (!url) return;
  for (const gid of preparedGids) {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [gid]);
    if (rowCount) await admin.query(`ROLLBACK PREPARED '${gid}'`);
  }
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

type Row = Record<string, unknown>;

async function run(rows: Row[], table: string, options: Omit<postgres.PostgresWriteOptions, 'url'>, batchSize = 1000) {
  const p = Pipeline.create();
  const rejected: ErrorRecord<Row>[] = [];
  p.apply(create(rows, { batchSize })).apply(postgres.write<Row>(table, { url: url!, ...options })).map((e) => void rejected.push(e));
  await p.run();
  return rejected;
}

const all = async (sql: string) => (await admin.query(sql)).rows;

test('write: insert in batches; a row violating a constraint goes to the output with the reason, the rest is written', { skip }, async () => {
  await admin.query(`CREATE TABLE ${schema}."Orders" (id bigint PRIMARY KEY, amount numeric(10,2) CHECK (amount >= 0), note text, doc jsonb, "odd ""name""" text)`);
  const rows: Row[] = Array.from({ length: 1200 }, (_x, i) => ({ id: BigInt(i), amount: `${i}.50`, note: `n'${i}"; DROP TABLE x; --`, doc: { i, big: 2n ** 60n } }));
  rows[7] = { id: 7n, amount: -1 }; // CHECK violation
  rows[900] = { id: 5n, amount: 1 }; // duplicate key
  rows[901] = { id: 901n, nope: 1 }; // not a column
  rows[902] = { id: 902n, 'odd "name"': 'quoted' };
  const rejected = await run(rows, `${schema}.Orders`, { batchSize: 100 }, 250);
  assert.deepEqual(rejected.map((e) => (e.element as Row).id).sort(), [5n, 7n, 901n]);
  assert.match(rejected.find((e) => (e.element as Row).id === 7n)!.error, /^23514: .*check constraint/);
  assert.match(rejected.find((e) => (e.element as Row).id === 5n)!.error, /^23505: duplicate key.*\(id\)=\(5\)/);
  assert.match(rejected.find((e) => (e.element as Row).id === 901n)!.error, /unknown column 'nope'/);
  // The error output names the table each rejected row was bound for (as the SQL names it).
  assert.deepEqual([...new Set(rejected.map((e) => e.origin?.table))], [`"${schema}"."Orders"`]);
  const [{ n }] = await all(`SELECT count(*)::int AS n FROM ${schema}."Orders"`);
  assert.equal(n, 1197);
  const [one] = await all(`SELECT note, doc, "odd ""name""" AS odd FROM ${schema}."Orders" WHERE id IN (3, 902) ORDER BY id`);
  assert.equal(one.note, `n'3"; DROP TABLE x; --`); // values are parameters, never SQL
  assert.deepEqual(one.doc, { i: 3, big: '1152921504606846976' });
  const [progress] = await all(`SELECT rows_written::int AS n FROM ${schema}.riffle_sink_progress WHERE checkpoint_id = -1`);
  assert.equal(progress.n, 1197);
});

test('write: upsert (last row of a key wins) then delete by key', { skip }, async () => {
  await admin.query(`CREATE TABLE ${schema}.acc (id int, region text, balance int, PRIMARY KEY (id, region))`);
  await admin.query(`INSERT INTO ${schema}.acc VALUES (1, 'eu', 10), (2, 'eu', 20)`);
  assert.deepEqual(await run([
    { id: 1, region: 'eu', balance: 11 }, { id: 3, region: 'us', balance: 30 }, { id: 3, region: 'us', balance: 31 }, { id: 4, balance: 1 },
  ], `${schema}.acc`, { mode: 'upsert', key: ['id', 'region'] }).then((r) => r.map((e) => e.error)), ["key column 'region' is missing or null"]);
  assert.deepEqual(await all(`SELECT id, region, balance FROM ${schema}.acc ORDER BY id`), [
    { id: 1, region: 'eu', balance: 11 }, { id: 2, region: 'eu', balance: 20 }, { id: 3, region: 'us', balance: 31 },
  ]);
  await run([{ id: 1, region: 'eu' }, { id: 3, region: 'us', balance: 0 }, { id: 9, region: 'eu' }], `${schema}.acc`, { mode: 'delete', key: ['id', 'region'] });
  assert.deepEqual(await all(`SELECT id FROM ${schema}.acc ORDER BY id`), [{ id: 2 }]);
});

test("write: onError 'fail' fails the job and writes nothing of the failing bundle; a missing table is a clear error", { skip }, async () => {
  await admin.query(`CREATE TABLE ${schema}.f (id int PRIMARY KEY)`);
  await assert.rejects(run([{ id: 1 }, { id: 1 }], `${schema}.f`, { onError: 'fail' }), /rejected row .*duplicate key/);
  assert.deepEqual(await all(`SELECT * FROM ${schema}.f`), []);
  await assert.rejects(run([{ id: 1 }], `${schema}.missing`, {}), /the table does not exist/);
  assert.throws(() => postgres.write(`${schema}.f`, { url: url!, mode: 'upsert' }), /needs key/);
});

test('write: exactly-once — one transaction across flushes, PREPARE at a checkpoint, COMMIT PREPARED idempotent', { skip }, async () => {
  const { rows: [{ max_prepared_transactions: mpt }] } = await admin.query('SHOW max_prepared_transactions');
  if (Number(mpt) === 0) return; // the tier's server enables prepared transactions; a local server may not
  await admin.query(`CREATE TABLE ${schema}.e (id int PRIMARY KEY)`);
  // Driven as the engine will drive it under checkpoints (issue 14).
  const writer = await postgres.postgresSink<Row>(`${schema}.e`, { url: url!, exactlyOnce: true, sinkId: 'job-1' })
    .open({ step: 'W', worker: 0, workers: 1, signal: new AbortController().signal });
  const window = { maxTimestamp: () => 0 } as never;
  writer.write({ id: 1 }, 0 as never, window, undefined as never);
  await writer.flush();
  writer.write({ id: 2 }, 0 as never, window, undefined as never);
  await writer.flush();
  assert.deepEqual(await all(`SELECT * FROM ${schema}.e`), [], 'nothing visible before the checkpoint commits');
  const prepared = await writer.prepareCommit!(1);
  preparedGids.push((prepared as { gid: string }).gid);
  assert.deepEqual(await all(`SELECT * FROM ${schema}.e`), []);
  writer.write({ id: 3 }, 0 as never, window, undefined as never);
  await writer.flush();
  await writer.commit!(prepared);
  await writer.commit!(prepared); // again, as after a restart: a no-op
  assert.deepEqual(await all(`SELECT id FROM ${schema}.e ORDER BY id`), [{ id: 1 }, { id: 2 }]);
  assert.deepEqual(await all(`SELECT checkpoint_id::int AS c, rows_written::int AS n FROM ${schema}.riffle_sink_progress WHERE sink_id = 'job-1'`), [{ c: 1, n: 2 }]);
  await writer.finish();
  assert.deepEqual(await all(`SELECT id FROM ${schema}.e ORDER BY id`), [{ id: 1 }, { id: 2 }, { id: 3 }]);
});

/**
 * A first run's writer `first` (of `firstOf`) prepares checkpoints 1 and 2 and crashes before checkpoint 2 completed;
 * the resumed run's writer 0 of 1 re-commits checkpoint 1 and replays id 2 — which would wait forever on the orphan's
 * lock if it were left prepared.
 */
async function orphanAfterCrash(table: string, first: number, firstOf: number): Promise<void> {
  const { rows: [{ max_prepared_transactions: mpt }] } = await admin.query('SHOW max_prepared_transactions');
  if (Number(mpt) === 0) return; // the tier's server enables prepared transactions; a local server may not
  await admin.query(`CREATE TABLE ${schema}.${table} (id int PRIMARY KEY)`);
  const window = { maxTimestamp: () => 0 } as never;
  const open = (worker: number, workers: number) =>
    postgres.postgresSink<Row>(`${schema}.${table}`, { url: url!, exactlyOnce: true, sinkId: 'job-orphan' }).open({ step: 'W', worker, workers, signal: new AbortController().signal });
  // abort leaves prepared transactions (their checkpoint may have completed): as a crash does.
  const crashed = await open(first, firstOf);
  crashed.write({ id: 1 }, 0 as never, window, undefined as never);
  await crashed.flush();
  const prepared1 = await crashed.prepareCommit!(1);
  crashed.write({ id: 2 }, 0 as never, window, undefined as never);
  await crashed.flush();
  const prepared2 = await crashed.prepareCommit!(2);
  const gids = [(prepared1 as { gid: string }).gid, (prepared2 as { gid: string }).gid];
  preparedGids.push(...gids);
  await crashed.abort(new Error('crash'));
  const resumed = await open(0, 1);
  await resumed.commit!(prepared1);
  resumed.write({ id: 2 }, 0 as never, window, undefined as never);
  await resumed.flush();
  await resumed.finish();
  assert.equal((resumed as unknown as { counts: { orphansRolledBack: number } }).counts.orphansRolledBack, 1);
  assert.deepEqual(await all(`SELECT id FROM ${schema}.${table} ORDER BY id`), [{ id: 1 }, { id: 2 }]);
  const { rows: left } = await admin.query('SELECT gid FROM pg_prepared_xacts WHERE gid = ANY($1)', [gids]);
  assert.deepEqual(left, [], 'no prepared transaction of the sink is left');
}

test('write: exactly-once — a prepared transaction whose checkpoint never completed is rolled back by the next run\'s writer', { skip, timeout: 60_000 }, async () => {
  await orphanAfterCrash('o', 0, 1);
});

test('write: exactly-once — resumed at fewer writers, the writer re-committing writer 1\'s checkpoint rolls back writer 1\'s orphan', { skip, timeout: 60_000 }, async () => {
  await orphanAfterCrash('o2', 1, 2);
});
