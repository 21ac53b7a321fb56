// io.delta.read(path, { batches: true }) and mapBatches: a pipeline works on Arrow record batches (typed columns),
// gets the same values as the row read, resumes by batch position, and refuses a row predicate it cannot apply.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RecordBatch } from 'apache-arrow';
import { assertThat, count, io, mapBatches, Pipeline } from '../../index.ts';
import { validate } from './write-options.ts';
import { checkRows, newRunState } from './write-sinks.ts';
import { DeltaTable } from '../../lakehouse/index.ts';
import { DeltaBatchSource, DeltaSource } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-batches-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function table(name: string): Promise<string> {
  const path = join(root, name);
  const t = await DeltaTable.create(path, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
  await t.append(Array.from({ length: 3000 }, (_, i) => ({ id: i, country: ['fr', 'de'][i % 2], amount: i % 7 === 0 ? null : i / 2 })));
  return path;
}

test('a pipeline reads batches, maps them with typed loops and gets what the row read gives', async () => {
  const path = await table('a');
  const sums: number[] = [];
  const p = Pipeline.create();
  p.apply(io.delta.read(path, { batches: true, columns: ['id', 'amount'] }))
    // selectAt: apache-arrow 21's select(names) puts a later column at its old index (the others become nulls).
    .apply(mapBatches((b: RecordBatch) => b.selectAt([1])))
    .map((b) => {
      const data = b.getChild('amount')!.data[0];
      const values = data.values as Float64Array;
      let s = 0;
      for (let i = 0; i < b.numRows; i++) if (data.getValid(i)) s += values[i];
      sums.push(s);
    });
  await p.run();
  const rows: Record<string, unknown>[] = [];
  const q = Pipeline.create();
  q.apply(io.delta.read(path)).map((r) => rows.push(r));
  await q.run();
  const expected = rows.reduce((s, r) => s + ((r.amount as number | null) ?? 0), 0);
  assert.equal(sums.length, 2, 'one batch per row group of each file');
  assert.equal(sums.reduce((a, b) => a + b, 0), expected);
});

test('a batch read resumes after the batches a position says were read; a row predicate is refused', async () => {
  const path = await table('b');
  const source = new DeltaBatchSource(new DeltaSource(path));
  const all: number[] = [];
  let position: unknown;
  for await (const b of source.read()) { all.push(b.values[0]!.numRows); position ??= b.position; }
  const rest: number[] = [];
  for await (const b of source.readFrom(position)) rest.push(b.values[0]!.numRows);
  assert.deepEqual(rest, all.slice(1));
  assert.throws(() => source.readFrom({ version: 1 }), /not a position/);

  const p = Pipeline.create();
  p.apply(io.delta.read(path, { batches: true, where: { amount: { gt: 1 } } }));
  await assert.rejects(p.run(), /'amount', which is not a partition column/);
  const ok: number[] = [];
  const q = Pipeline.create();
  q.apply(io.delta.read(path, { batches: true, where: { country: 'fr' } })).map((b) => ok.push(b.numRows));
  await q.run();
  assert.deepEqual(ok, [1500]);
  assert.throws(() => io.delta.read(path, { batches: 'yes' as unknown as true }), /batches must be true or false/);
});

test('sql.transform takes batches from io.delta.read and loads them into DuckDB by data chunks', async () => {
  const { sql } = await import('../../sql/index.ts');
  const path = await table('c');
  const p = Pipeline.create();
  const batches = p.apply(io.delta.read(path, { batches: true }));
  const out = sql.transform('SELECT country, count(*) AS n, count(amount) AS priced, sum(amount) AS total FROM t GROUP BY country ORDER BY country', { inputs: { t: batches } });
  const got: Record<string, unknown>[] = [];
  out.map((r) => got.push(r));
  await p.run();
  const rows = await (await DeltaTable.open(path)).read();
  const expect = (c: string) => {
    const mine = rows.filter((r) => r.country === c);
    return { country: c, n: mine.length, priced: mine.filter((r) => r.amount !== null).length, total: mine.reduce((s, r) => s + ((r.amount as number | null) ?? 0), 0) };
  };
  assert.deepEqual(got, [expect('de'), expect('fr')]);
});

test('io.delta.write takes record batches (rows of each batch checked and written) into an existing table', async () => {
  const from = await table('d');
  const to = join(root, 'd-copy');
  await DeltaTable.create(to, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
  const p = Pipeline.create();
  p.apply(io.delta.read(from, { batches: true }))
    .apply(mapBatches((b: RecordBatch) => b))
    .apply(io.delta.write(to));
  await p.run();
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);
  const copy = (await (await DeltaTable.open(to)).read()).sort(byId);
  assert.equal(copy.length, 3000);
  assert.deepEqual(copy, (await (await DeltaTable.open(from)).read()).sort(byId));
});

test('io.delta.write stages record batches whole (no row objects) into an unpartitioned table; a batch of other types goes as rows', async () => {
  const A = await import('apache-arrow');
  const from = join(root, 'e');
  const n = 70_000;
  const t = await DeltaTable.create(from, { schema: { id: 'long', name: 'string', amount: 'double' } });
  await t.append(Array.from({ length: n }, (_, i) => ({ id: i, name: `n${i % 13}`, amount: i % 11 === 0 ? null : i / 4 })));
  const to = join(root, 'e-copy');
  await DeltaTable.create(to, { schema: { id: 'long', name: 'string', amount: 'double' } });
  const p = Pipeline.create();
  p.apply(io.delta.read(from, { batches: true })).apply(io.delta.write(to, { stageRows: n }));
  // An Int32 id is not the table's Arrow type (Int64): that batch is written through its rows.
  const ints = A.tableFromArrays({ id: Int32Array.from([n, n + 1]), name: ['x', 'y'], amount: Float64Array.from([1, 2]) }).batches[0];
  p.apply(io.delta.read(from, { batches: true, columns: ['id'] })).apply(mapBatches((_b: RecordBatch) => ints, 'Ints')).apply(io.delta.write(join(root, 'e-ints'), { schema: { id: 'long', name: 'string', amount: 'double' } }));
  await p.run();
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a.id) - Number(b.id);
  const copy = await DeltaTable.open(to);
  assert.deepEqual((await copy.read()).sort(byId), (await t.read()).sort(byId));
  const snap = await copy.snapshot();
  assert.equal(snap.files.length, 1);
  assert.equal(snap.files[0].stats.numRecords, n);
  const ints2 = await (await DeltaTable.open(join(root, 'e-ints'))).read();
  assert.ok(ints2.length > 0 && ints2.every((r) => typeof r.id === 'bigint'));
});

test("io.delta.write's row check passes a batch of the table's types on whole in a batch write, and as rows otherwise", async () => {
  const from = join(root, 'e');
  const passed = (columnar: boolean) => {
    const p = Pipeline.create();
    const out = p.apply(io.delta.read(from, { batches: true })).apply(checkRows(validate(from, {}), newRunState(), columnar));
    assertThat(out.map((x) => (x instanceof Object && 'numRows' in x ? 'batch' : 'row'), 'Kind').apply(count.perElement<string>())
      .map((kv) => `${kv.key}:${kv.value}`)).containsInAnyOrder(columnar ? ['batch:1'] : ['row:70000']);
    return p.run();
  };
  await passed(true);
  await passed(false);
});
