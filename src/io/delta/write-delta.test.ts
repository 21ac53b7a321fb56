import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, io, Pipeline, testStream, trigger, window, type ErrorRecord } from '../../index.ts';
import { DeltaTable, type Row } from '../../lakehouse/index.ts';
import type { DeltaCommit } from './write-delta.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-delta-sink-'));
const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);

async function runBatch(rows: Row[], path: string, options: Parameters<typeof io.delta.write>[1] = {}) {
  const p = Pipeline.create();
  const commits: DeltaCommit[] = [];
  const errors: ErrorRecord<Row>[] = [];
  const out = p.apply(create(rows)).apply(io.delta.write<Row>(path, options).withErrors());
  out.main.map((c) => commits.push(c));
  out.errors.map((e) => errors.push(e));
  await p.run();
  return { commits, errors };
}

test('batch: creates the table from inferred types, one commit with a txn, bad rows to the error output', async () => {
  const path = join(tmp(), 't');
  const rows: Row[] = [
    { id: 1n, name: 'a', score: 1.5, ok: true },
    { id: 2n, name: 'b', score: null, ok: false },
    { id: 'three', name: 'c', score: 3, ok: true }, // id is long: rejected
    { id: 4n, name: 'd', score: 4, ok: true, extra: 'x' }, // new columns are accepted while inferring a new table
  ];
  const { commits, errors } = await runBatch(rows, path, { stageRows: 2 });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.error, /column 'id' expects long, got string 'three'/);
  assert.deepEqual(errors[0]!.element, rows[2]);
  assert.equal(commits.length, 1);
  assert.deepEqual({ committed: commits[0]!.committed, rows: commits[0]!.rows, version: commits[0]!.version }, { committed: true, rows: 3, version: 1 });
  const table = await DeltaTable.open(path);
  const schema = (await table.schema()).fields.map((f) => `${f.name}:${f.type}`);
  assert.deepEqual(schema, ['id:long', 'name:string', 'score:double', 'ok:boolean', 'extra:string']);
  const got = (await table.read()).sort(byId);
  assert.deepEqual(got.map((r) => [r.id, r.name, r.extra]), [[1n, 'a', null], [2n, 'b', null], [4n, 'd', 'x']]);
  const [latest] = await table.history();
  assert.equal(latest!.operation, 'WRITE');
  const snap = await table.snapshot();
  assert.equal(snap.appTransactions.get(commits[0]!.appId)?.version, 0);
});

test('batch: a rerun without appId appends (each run is its own application, committing txn version 0)', async () => {
  const plain = join(tmp(), 'p');
  const rows: Row[] = [{ id: 1n }, { id: 2n }];
  const first = await runBatch(rows, plain);
  const second = await runBatch(rows, plain);
  assert.match(first.commits[0]!.appId, /^riffle-[0-9a-f-]{36}$/);
  assert.notEqual(second.commits[0]!.appId, first.commits[0]!.appId);
  assert.deepEqual(second.commits.map((c) => ({ committed: c.committed, skipped: c.skipped, txn: c.txnVersion })), [{ committed: true, skipped: false, txn: 0 }]);
  const table = await DeltaTable.open(plain);
  assert.equal((await table.read()).length, 4);
  const txns = (await table.snapshot()).appTransactions;
  assert.deepEqual([first.commits[0]!.appId, second.commits[0]!.appId].map((a) => txns.get(a)?.version), [0, 0]);
});

test('batch: a rerun with the same appId and txnVersion writes nothing; a higher txnVersion writes', async () => {
  const path = join(tmp(), 't');
  const rows: Row[] = [{ id: 1n }, { id: 2n }];
  await runBatch(rows, path, { appId: 'nightly', txnVersion: 7, schema: { id: 'long' } });
  const table = await DeltaTable.open(path);
  const version = await table.version();
  const again = await runBatch([{ id: 3n }], path, { appId: 'nightly', txnVersion: 7 });
  assert.deepEqual(again.commits.map((c) => ({ committed: c.committed, skipped: c.skipped, version: c.version })), [{ committed: false, skipped: true, version: null }]);
  assert.equal(await table.version(), version);
  assert.deepEqual((await table.read()).sort(byId).map((r) => r.id), [1n, 2n]);
  // Without txnVersion the version is 0, which 7 already covers: skipped too. A higher one is new data.
  assert.equal((await runBatch([{ id: 3n }], path, { appId: 'nightly' })).commits[0]!.skipped, true);
  const next = await runBatch([{ id: 3n }], path, { appId: 'nightly', txnVersion: 8 });
  assert.deepEqual({ committed: next.commits[0]!.committed, txn: next.commits[0]!.txnVersion }, { committed: true, txn: 8 });
  assert.deepEqual((await table.read()).sort(byId).map((r) => r.id), [1n, 2n, 3n]);
  assert.equal((await table.snapshot()).appTransactions.get('nightly')?.version, 8);
});

test('batch: overwrite replaces the content; merge upserts on the keys (last row per key wins)', async () => {
  const path = join(tmp(), 't');
  await runBatch([{ id: 1n, v: 'a' }, { id: 2n, v: 'b' }], path, { partitionBy: ['v'] });
  await runBatch([{ id: 3n, v: 'c' }], path, { mode: 'overwrite' });
  const table = await DeltaTable.open(path);
  assert.deepEqual((await table.read()).map((r) => r.id), [3n]);
  const { commits } = await runBatch([{ id: 3n, v: 'x' }, { id: 4n, v: 'y' }, { id: 4n, v: 'z' }], path, { mode: 'merge', mergeOn: ['id'] });
  assert.equal(commits[0]!.metrics?.numTargetRowsUpdated, 1);
  assert.equal(commits[0]!.metrics?.numTargetRowsInserted, 1);
  assert.deepEqual((await table.read()).sort(byId).map((r) => [r.id, r.v]), [[3n, 'x'], [4n, 'z']]);
});

test('schema: rows must match an existing table unless mergeSchema adds their new columns', async () => {
  const path = join(tmp(), 't');
  await DeltaTable.create(path, { schema: { id: { type: 'long', nullable: false }, name: 'string' } });
  const strict = await runBatch([{ id: 1n, name: 'a', age: 3 }, { name: 'b' }, { id: 2n, name: 'c' }], path);
  assert.deepEqual(strict.errors.map((e) => e.error.replace(/^.*?: /, '')), [
    "column 'age' is not in the table schema (id, name)",
    "column 'id' is not nullable (long), and the row has no value for it",
  ]);
  const merged = await runBatch([{ id: 3n, name: 'd', age: 3 }], path, { mergeSchema: true });
  assert.equal(merged.errors.length, 0);
  const table = await DeltaTable.open(path);
  assert.deepEqual((await table.schema()).fields.map((f) => `${f.name}:${f.type}`), ['id:long', 'name:string', 'age:double']);
  assert.deepEqual((await table.read()).sort(byId).map((r) => [r.id, r.age]), [[2n, null], [3n, 3]]);
});

test('schema: a table with every Delta type is created from the schema option; values that do not fit go to the errors', async () => {
  const path = join(tmp(), 't');
  const schema = { id: 'long', d: 'decimal(10,2)', b: 'binary', at: 'timestamp_ntz', f: 'float', s: 'short', y: 'byte' } as const;
  const rows: Row[] = [
    { id: 1n, d: '12.3', b: new Uint8Array([7]), at: '2024-01-01 00:00:00.000001', f: 0.5, s: -2, y: 3 },
    { id: 2n, d: '1.234', b: null, at: null, f: null, s: null, y: null },
  ];
  const { errors } = await runBatch(rows, path, { schema });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.error, /column 'd' expects decimal\(10,2\), got string '1.234' has more than 2 decimal places$/);
  const table = await DeltaTable.open(path);
  assert.deepEqual((await table.schema()).fields.map((f) => f.type), Object.values(schema));
  assert.deepEqual(await table.read(), [{ id: 1n, d: '12.30', b: new Uint8Array([7]), at: 1704067200000001n, f: 0.5, s: -2, y: 3 }]);
  assert.throws(() => io.delta.write('/x', { schema: { d: 'decimal(39,1)' as 'long' } }), /column 'd' has type "decimal\(39,1\)"/);
  // Nested columns, and a value that does not fit one, to the error output naming the path.
  const nestedPath = join(tmp(), 'n');
  const nested = await runBatch([{ id: 1n, tags: ['a', null], pt: { x: 1.5 } }, { id: 2n, tags: [1], pt: null }], nestedPath, { schema: { id: 'long', tags: 'array<string>', pt: 'struct<x:double>' } });
  assert.equal(nested.errors.length, 1);
  assert.match(nested.errors[0]!.error, /column 'tags' expects array<string>, got element 0: number 1$/);
  assert.deepEqual(await (await DeltaTable.open(nestedPath)).read(), [{ id: 1n, tags: ['a', null], pt: { x: 1.5 } }]);
});

test('inference: a column that is null in every row is an error naming it', async () => {
  const path = join(tmp(), 't');
  await assert.rejects(runBatch([{ id: 1n, note: null }], path), /column 'note' held only nulls, so its type cannot be inferred/);
});

test('options are checked when the pipeline is built', () => {
  assert.throws(() => io.delta.write('/x', { mode: 'merge' }), /mode 'merge' needs mergeOn/);
  assert.throws(() => io.delta.write('/x', { mode: 'upsert' as 'merge' }), /mode must be 'append', 'overwrite' or 'merge'/);
  assert.throws(() => io.delta.write('/x', { schema: { a: 'int' as 'long' } }), /column 'a' has type "int"/);
  assert.throws(() => io.delta.write('/x', { schema: { a: 'long' }, partitionBy: ['b'] }), /column 'b' is not in the schema option/);
  assert.throws(() => io.delta.write('/x', { txnVersion: -1 }), /txnVersion must be a non-negative integer/);
});

/** Window [0, 60s) fires early after 2 elements and on time; [60s, 120s) on time. */
async function runStream(path: string, appId?: string) {
  const p = Pipeline.create();
  const commits: DeltaCommit[] = [];
  const stream = testStream<Row>()
    .addElements({ value: { id: 1n, w: 0n }, timestamp: 1000 }, { value: { id: 2n, w: 0n }, timestamp: 2000 })
    .addElements({ value: { id: 3n, w: 1n }, timestamp: 61_000 })
    .advanceWatermarkTo(61_000)
    .addElements({ value: { id: 4n, w: 1n }, timestamp: 62_000 })
    .advanceWatermarkToInfinity();
  p.apply(stream)
    .apply(window.into<Row>(window.fixed('1m'), { trigger: trigger.afterWatermark({ early: trigger.afterCount(2) }), accumulation: 'discarding' }))
    .apply(io.delta.write<Row>(path, appId === undefined ? {} : { appId }))
    .map((c) => commits.push(c));
  await p.run();
  return commits;
}

test('streaming: one commit per pane in watermark order, txn versions counting up; a replay writes nothing', async () => {
  const path = join(tmp(), 't');
  const commits = await runStream(path, 'sink-a');
  // Discarding panes: the on-time panes after the early ones are empty and commit nothing.
  assert.deepEqual(commits.map((c) => [c.window?.slice(0, 15), c.txnVersion, c.rows, c.pane?.timing, c.committed]), [
    ['19700101T000000', 0, 2, 'EARLY', true], ['19700101T000000', null, 0, 'ON_TIME', false],
    ['19700101T000100', 1, 2, 'EARLY', true], ['19700101T000100', null, 0, 'ON_TIME', false],
  ]);
  const table = await DeltaTable.open(path);
  const history = await table.history();
  assert.deepEqual(history.map((h) => h.operation), ['STREAMING UPDATE', 'STREAMING UPDATE', 'CREATE TABLE']);
  assert.equal((await table.read()).length, 4);
  const replay = await runStream(path, 'sink-a');
  assert.deepEqual(replay.map((c) => c.skipped), [true, false, true, false]);
  assert.equal((await table.read()).length, 4);
  assert.equal(await table.version(), 2);
  await runStream(path, 'sink-b'); // another application: its own txn versions
  assert.equal((await table.read()).length, 8);
});

test('streaming: a rerun without appId appends; within the run the panes still count txn versions up from 0', async () => {
  const path = join(tmp(), 't');
  const first = await runStream(path);
  const second = await runStream(path);
  const committed = (commits: DeltaCommit[]) => commits.filter((c) => c.committed);
  assert.deepEqual(committed(second).map((c) => c.txnVersion), [0, 1]);
  assert.equal(new Set(second.map((c) => c.appId)).size, 1);
  assert.notEqual(second[0]!.appId, first[0]!.appId);
  const table = await DeltaTable.open(path);
  assert.equal((await table.read()).length, 8);
  assert.equal((await table.snapshot()).appTransactions.get(second[0]!.appId)?.version, 1);
});

test('read: a bounded source per data file, pruned by partitions and stats, pinned to a version', async () => {
  const path = join(tmp(), 't');
  const table = await DeltaTable.create(path, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
  await table.append([{ id: 1n, country: 'fr', amount: 1 }, { id: 2n, country: 'de', amount: 2 }]);
  await table.append([{ id: 3n, country: 'fr', amount: 30 }]);
  const source = new io.delta.DeltaSource(path, { where: { country: 'fr', amount: { gte: 10 } } });
  const plan = await source.plan();
  assert.deepEqual({ files: plan.files.length, skipped: plan.skipped, version: plan.version }, { files: 1, skipped: 2, version: 2 });
  const all = await new io.delta.DeltaSource(path).split(1);
  assert.equal(all.length, 3);
  const p = Pipeline.create();
  const got: Record<string, unknown>[] = [];
  p.apply(io.delta.read(path, { where: { country: 'fr' }, columns: ['id'] })).map((r) => got.push(r));
  await p.run();
  assert.deepEqual(got.sort(byId), [{ id: 1n }, { id: 3n }]);
  const old: Record<string, unknown>[] = [];
  const q = Pipeline.create();
  q.apply(io.delta.read(path, { version: 1 })).map((r) => old.push(r));
  await q.run();
  assert.deepEqual(old.sort(byId), [{ id: 1n, country: 'fr', amount: 1 }, { id: 2n, country: 'de', amount: 2 }]);
  await assert.rejects(new io.delta.DeltaSource(path, { columns: ['nope'] }).plan(), /unknown column 'nope'/);
});

test('batch: a job that fails after staging commits nothing and deletes its staged files', async () => {
  const dir = tmp();
  const path = join(dir, 't');
  const rows: Row[] = Array.from({ length: 10 }, (_x, i) => ({ id: BigInt(i) }));
  const p = Pipeline.create();
  p.apply(create(rows, { batchSize: 2 }))
    .map((r) => {
      if (r.id === 7n) throw new Error('boom');
      return r;
    })
    .apply(io.delta.write<Row>(path, { stageRows: 2 }));
  await assert.rejects(p.run(), /boom/);
  // Nothing committed: the table is created by the commit only; the staged files are gone.
  await assert.rejects(DeltaTable.open(path), /not a Delta table/);
  const { existsSync, readdirSync } = await import('node:fs');
  assert.deepEqual(existsSync(path) ? readdirSync(path, { recursive: true }).filter((f) => String(f).endsWith('.parquet')) : [], []);
});
