// Reading tables as Arrow record batches (batch-scan.ts, arrow-read.ts): every primitive Delta type gives the same
// canonical values as `read`, with typed buffers (BigInt64Array, Float64Array…) and validity bitmaps; partition
// columns are one-value dictionaries; a column added later reads as nulls; damage is refused as on the row path.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { batchRows } from './batch-rows.ts';
import { DeltaTable, ParquetFileError, type Row } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-arrow-read-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

const schema = {
  id: { type: 'long', nullable: false }, s: 'string', dbl: 'double', f: 'float', i: 'integer', sh: 'short', by: 'byte', ok: 'boolean',
  b: 'binary', dt: 'date', ts: 'timestamp', ntz: 'timestamp_ntz', d1: 'decimal(5,2)', d2: 'decimal(18,4)', d3: 'decimal(38,10)', p: 'string',
} as const;
const rows: Row[] = [
  { id: 1n, s: 'é', dbl: -Infinity, f: 1.5, i: -7, sh: -32768, by: 127, ok: true, b: new Uint8Array([0, 255]), dt: '0001-01-01', ts: 1n, ntz: -1n, d1: '-123.45', d2: '12345678901234.5678', d3: '-1234567890123456789012345678.0123456789', p: 'x' },
  { id: 2n, s: null, dbl: null, f: null, i: null, sh: null, by: null, ok: null, b: null, dt: null, ts: null, ntz: null, d1: null, d2: null, d3: null, p: 'x' },
  { id: 3n, s: 'abc', dbl: NaN, f: -0, i: 2147483647, sh: 0, by: -128, ok: false, b: new Uint8Array(), dt: '9999-12-31', ts: 253402300799999999n, ntz: 0n, d1: '0.01', d2: '-0.0001', d3: '1', p: 'y' },
];

test('readBatches gives typed columns holding exactly what read gives, partitions as one-value dictionaries', async () => {
  const table = await DeltaTable.create(fresh(), { schema, partitionBy: ['p'] });
  await table.append(rows);
  const fields = (await table.snapshot()).schema.fields;
  const got: Row[] = [];
  let batches = 0;
  for await (const batch of table.readBatches()) {
    batches++;
    const id = batch.getChild('id')!.data[0];
    assert.ok(id.values instanceof BigInt64Array, 'long is a BigInt64Array');
    assert.ok(batch.getChild('dbl')!.data[0].values instanceof Float64Array, 'double is a Float64Array');
    assert.ok(batch.getChild('ts')!.data[0].values instanceof BigInt64Array, 'timestamp is µs in a BigInt64Array');
    assert.equal(String(batch.getChild('ts')!.type), 'Timestamp<MICROSECOND, UTC>');
    assert.equal(String(batch.getChild('ntz')!.type), 'Timestamp<MICROSECOND>');
    assert.match(String(batch.getChild('p')!.type), /^Dictionary<Int32, Utf8>$/);
    got.push(...batchRows(batch, fields));
  }
  assert.equal(batches, 2, 'one batch per row group of each of the two partition files');
  const byId = (a: Row, b: Row) => Number(a.id) - Number(b.id);
  assert.deepEqual(got.sort(byId), (await table.read()).sort(byId));
  const nulls = got.find((r) => r.id === 2n)!;
  assert.ok(Object.entries(nulls).every(([k, v]) => k === 'id' || k === 'p' || v === null), 'nulls come back from the validity bitmaps');
});

test('readBatches projects columns; a column added after a file was written reads as nulls; time travel', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', amount: 'double' } });
  await table.append([{ id: 1, amount: 2.5 }]);
  await table.append([{ id: 2, amount: 3.5, note: 'n' }], { mergeSchema: true });
  const seen: Row[] = [];
  const fields = (await table.snapshot()).schema.fields;
  for await (const b of table.readBatches()) seen.push(...batchRows(b, fields));
  assert.deepEqual(seen.sort((a, b) => Number(a.id) - Number(b.id)), [{ id: 1n, amount: 2.5, note: null }, { id: 2n, amount: 3.5, note: 'n' }]);
  const v0: number[] = [];
  for await (const b of table.readBatches({ version: 1, columns: ['amount'] })) {
    assert.deepEqual(b.schema.fields.map((f) => f.name), ['amount']);
    v0.push(...(b.getChild('amount')!.data[0].values as Float64Array));
  }
  assert.deepEqual(v0, [2.5]);
  await assert.rejects(async () => { for await (const _ of table.readBatches({ columns: ['nope'] })) void _; }, /unknown column 'nope'/);
});

test('a flipped bit in a page is refused by its CRC on the batch path, naming file, row group and column', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema: { id: 'long', s: 'string' } });
  await table.append(Array.from({ length: 1000 }, (_, i) => ({ id: i, s: `value-${i}` })));
  const file = join(path, readdirSync(path).find((f) => f.endsWith('.parquet'))!);
  const bytes = readFileSync(file);
  // The first data page of column s: its chunk's data_page_offset, then past the page header (the body is CRC'd).
  const { parquetMetadata } = await import('hyparquet');
  const { parquetHeader } = await import('hyparquet/src/column.js') as unknown as { parquetHeader: (r: { view: DataView; offset: number }) => unknown };
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const chunk = parquetMetadata(ab).row_groups[0].columns.find((c) => c.meta_data!.path_in_schema[0] === 's')!.meta_data!;
  const reader = { view: new DataView(ab), offset: Number(chunk.data_page_offset) };
  parquetHeader(reader);
  bytes[reader.offset + 3] ^= 0x04;
  writeFileSync(file, bytes);
  await assert.rejects(async () => { for await (const _ of table.readBatches()) void _; },
    (e: unknown) => e instanceof ParquetFileError && e.rowGroup === 0 && e.column === 's' && /fails its checksum \(CRC-32\)/.test(e.message));
});
