import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Dictionary, Int32, Int64, makeData, RecordBatch, Schema, Field, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { DeltaTable, type Row, SchemaMismatchError } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-batch-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));

const schema = {
  id: { type: 'long', nullable: false }, s: 'string', dbl: 'double', f: 'float', n: 'integer', sh: 'short', by: 'byte', ok: 'boolean',
  dt: 'date', ts: 'timestamp', ntz: 'timestamp_ntz', d: 'decimal(12,3)',
} as const;
const ROWS = 70_000;
function rows(): Row[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    id: BigInt(i), s: i % 7 === 0 ? null : ['ｚ', 'a', '😀', 'é'][i % 4], dbl: i === 5 ? NaN : i === 6 ? -0 : i === 7 ? Infinity : i / 8, f: i % 11 === 0 ? null : i / 4,
    n: i - 35_000, sh: i % 30_000, by: (i % 200) - 100, ok: i % 3 === 0 ? null : i % 2 === 0, dt: i % 2 === 0 ? '0001-01-01' : '9999-12-31',
    ts: BigInt(i) * 1_000_000n - 5n, ntz: i % 5 === 0 ? null : BigInt(-i), d: `${i - 100}.${String(i % 1000).padStart(3, '0')}`,
  }));
}

test('Arrow batches are appended without rows: same values and the same statistics as the rows path, DuckDB files with CRCs', async () => {
  const byRows = await DeltaTable.create(join(root, 'rows'), { schema });
  const input = rows();
  await byRows.append(input);
  const batches: RecordBatch[] = [];
  for await (const b of byRows.readBatches()) batches.push(b);
  const byBatches = await DeltaTable.create(join(root, 'batches'), { schema });
  await byBatches.appendBatches(batches, { parquet: { rowGroupRows: 16_384 } });
  const [a, b] = [(await byRows.snapshot()).files, (await byBatches.snapshot()).files];
  assert.equal(b.length, 1);
  assert.deepEqual(JSON.parse(b[0].add.stats as string), JSON.parse(a[0].add.stats as string), 'statistics computed from the batches equal the rows path\'s');
  assert.deepEqual(await byBatches.read(), await byRows.read());
  const bytes = readFileSync(join(root, 'batches', b[0].path));
  const md = parquetMetadata(Uint8Array.from(bytes).buffer);
  assert.match(md.created_by ?? '', /DuckDB/);
  assert.equal(md.row_groups.length, Math.ceil(ROWS / 16_384), 'row groups of parquet.rowGroupRows rows');
  const first = md.row_groups[0].columns[0].meta_data!;
  assert.notEqual(parquetHeader({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: Number(first.dictionary_page_offset || first.data_page_offset) }).crc, undefined, 'pages carry CRCs');
  const hist = await byBatches.history();
  assert.equal((hist[0].operationParameters as Record<string, unknown>).mode, 'Append');
});

test('batches with dictionary strings and column subsets are written; wrong types, unknown columns and nulls in required columns are refused', async () => {
  const table = await DeltaTable.create(join(root, 'dict'), { schema: { id: { type: 'long', nullable: false }, s: 'string' } });
  const n = 70_000;
  const ids = vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i)), new Int64());
  const strings = vectorFromArray(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : `v${i % 3}`)), new Dictionary(new Utf8(), new Int32()));
  const batch = (fields: Field[], children: import('apache-arrow').Data[]) => new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children, nullCount: 0 }));
  await table.appendBatches([batch([new Field('id', new Int64(), false), new Field('s', strings.type, true)], [ids.data[0], strings.data[0]])]);
  const stats = JSON.parse((await table.snapshot()).files[0].add.stats as string);
  assert.deepEqual(stats, { numRecords: n, minValues: { id: 0, s: 'v1' }, maxValues: { id: n - 1, s: 'v2' }, nullCount: { id: 0, s: Math.ceil(n / 3) } });
  // Only some columns: written through rows (the missing one is null).
  await table.appendBatches([batch([new Field('id', new Int64(), false)], [ids.data[0]])]);
  assert.equal((await table.read({ where: { s: null } })).length, Math.ceil(n / 3) + n);
  const ints = vectorFromArray(Array.from({ length: n }, (_, i) => i), new Int32());
  await assert.rejects(table.appendBatches([batch([new Field('id', new Int32(), false)], [ints.data[0]])]),
    (e: unknown) => e instanceof SchemaMismatchError && e.column === 'id' && /expects long, got Arrow Int32 \(integer\)/.test(e.message));
  await assert.rejects(table.appendBatches([batch([new Field('id', new Int64(), false), new Field('x', new Int64(), false)], [ids.data[0], ids.data[0]])]),
    (e: unknown) => e instanceof SchemaMismatchError && /column 'x', which is not in the table schema/.test(e.message));
  const nullIds = vectorFromArray(Array.from({ length: n }, (_, i) => (i === 3 ? null : BigInt(i))), new Int64());
  await assert.rejects(table.appendBatches([batch([new Field('id', new Int64(), true)], [nullIds.data[0]])]),
    (e: unknown) => e instanceof SchemaMismatchError && /is not nullable \(long\), but a batch holds 1 nulls/.test(e.message));
  await assert.rejects(table.appendBatches([], { mergeSchema: true } as never), /option 'mergeSchema' is not taken/);
  assert.equal((await table.history()).length, 3, 'refused batches commit nothing');
});

test('a partitioned table takes batches through rows', async () => {
  const table = await DeltaTable.create(join(root, 'part'), { schema: { id: 'long', s: 'string' }, partitionBy: ['s'] });
  const source = await DeltaTable.create(join(root, 'part-src'), { schema: { id: 'long', s: 'string' } });
  await source.append([{ id: 1n, s: 'a' }, { id: 2n, s: 'b' }]);
  const batches: RecordBatch[] = [];
  for await (const b of source.readBatches()) batches.push(b);
  await table.appendBatches(batches);
  assert.deepEqual((await table.snapshot()).files.map((f) => f.partitionValues.s).sort(), ['a', 'b']);
  assert.deepEqual((await table.read()).map((r) => r.id).sort(), [1n, 2n]);
});

test('low-cardinality strings (loaded into DuckDB as codes) in batches cut at odd offsets: same values and statistics as the rows path', async () => {
  const input: Row[] = Array.from({ length: ROWS * 2 }, (_, i) => ({ id: BigInt(i), s: i % 7 === 0 ? null : ["it's", 'é', 'ｚ', '"q"', ''][i % 5], n: i }));
  const small = { id: 'long', s: 'string', n: 'integer' } as const;
  const byRows = await DeltaTable.create(join(root, 'codes-rows'), { schema: small });
  await byRows.append(input);
  const batches: RecordBatch[] = [];
  for await (const b of byRows.readBatches()) batches.push(b);
  const byBatches = await DeltaTable.create(join(root, 'codes-batches'), { schema: small });
  // Files of ~ROWS rows cut the batches at offsets that are not multiples of 8 (validity bits moved).
  const sliced = batches.flatMap((b) => [b.slice(0, 3), b.slice(3)]);
  const adds = await (async () => { const tx = await byBatches.startTransaction(); const a = await tx.writeBatches(sliced); await tx.commit({ operation: 'WRITE' }); return a; })();
  assert.ok(adds.length >= 1);
  const byId = (a: Row, b: Row) => Number(a.id) - Number(b.id);
  assert.deepEqual((await byBatches.read()).sort(byId), (await byRows.read()).sort(byId));
  const stats = (t: DeltaTable) => t.snapshot().then((s) => s.files.map((f) => JSON.parse(f.add.stats as string) as { minValues: Row; maxValues: Row; nullCount: Row }));
  const [a, b] = [await stats(byRows), await stats(byBatches)];
  assert.deepEqual(b.map((x) => [x.minValues.s, x.maxValues.s]), a.map((x) => [x.minValues.s, x.maxValues.s]));
  assert.equal(b.reduce((n, x) => n + Number(x.nullCount.s), 0), a.reduce((n, x) => n + Number(x.nullCount.s), 0));
});

test('rows of a sliced batch (apache-arrow views values from the slice, bitmaps from its offset) are the rows of that range', async () => {
  const { batchRows } = await import('./index.ts');
  const t = await DeltaTable.open(join(root, 'rows'));
  const fields = (await t.snapshot()).schema.fields;
  for await (const b of t.readBatches()) {
    const all = batchRows(b, fields);
    for (const [from, to] of [[3, 20], [13, 200], [1, 9]]) assert.deepEqual(batchRows(b.slice(from, to), fields), all.slice(from, to), `slice ${from}-${to}`);
    break;
  }
});
