import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { writeParquetDuckdb } from './duckdb-parquet-writer.ts';
import { DeltaTable, DeltaTableError, ParquetFileError } from './index.ts';
import { readRowGroups, writeParquet } from './parquet-io.ts';
import type { SchemaField } from './schema.ts';
import { readStruct, ThriftWriter, writeStruct } from './thrift-compact.ts';
import type { DeltaValue } from './value-mapping.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-duckdb-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const file = (bytes: Uint8Array): string => { const p = join(root, `f${files++}.parquet`); writeFileSync(p, bytes); return p; };
const field = (name: string, type: string, nullable = true): SchemaField => ({ name, type: type as SchemaField['type'], nullable, metadata: {} });

const fields: SchemaField[] = [
  field('id', 'long', false), field('s', 'string'), field('dbl', 'double'), field('f', 'float'), field('n', 'integer'), field('sh', 'short'),
  field('by', 'byte'), field('ok', 'boolean'), field('dt', 'date'), field('ts', 'timestamp'), field('ntz', 'timestamp_ntz'),
  field('d1', 'decimal(5,2)'), field('d2', 'decimal(18,4)'),
];
/** Edge values of every type DuckDB writes, then `extra` ordinary rows (so files pass a row group or more). */
function sampleColumns(extra: number): DeltaValue[][] {
  const edge: DeltaValue[][] = [
    [1n, 2n, 3n, 4n],
    ['é😀', '', null, 'x'],
    [-Infinity, Infinity, -0, NaN],
    [NaN, -0, Math.fround(1.1), Infinity],
    [-2147483648, 2147483647, null, 0],
    [-32768, 32767, null, 0],
    [127, -128, 0, null],
    [true, false, null, true],
    ['0001-01-01', '9999-12-31', '1969-12-31', '2101-01-01'],
    [-62135596800000000n, 253402300799999999n, -1n, null],
    [-62135596799999999n, 1714979289123456n, -1n, null],
    ['123.45', '0.01', '9.50', '-10.00'],
    ['-99999999999999.9999', null, '12345678901234.5678', '-0.0001'],
  ];
  const gen: ((i: number) => DeltaValue)[] = [
    (i) => BigInt(i + 5), (i) => ['fr', 'de', 'us'][i % 3], (i) => i * 0.25, (i) => Math.fround(i / 3), (i) => i, (i) => i % 30000, (i) => i % 100,
    (i) => i % 2 === 0, () => '2024-05-06', (i) => 1_700_000_000_000_000n + BigInt(i), (i) => BigInt(i), (i) => `${i % 999}.00`, (i) => `${i}.0001`,
  ];
  return edge.map((c, k) => [...c, ...Array.from({ length: extra }, (_, i) => gen[k](i))]);
}

async function readBack(path: string, which: readonly SchemaField[] = fields): Promise<DeltaValue[][]> {
  const out: DeltaValue[][] = which.map(() => []);
  for await (const g of readRowGroups(path, which)) g.columns.forEach((c, i) => { for (let r = 0; r < g.numRows; r++) out[i].push(c?.[r] ?? null); });
  return out;
}

/** Every page of the file: its column, header and body offset. */
function pages(bytes: Uint8Array): { column: string; header: ReturnType<typeof parquetHeader>; body: number }[] {
  const md = parquetMetadata(Uint8Array.from(bytes).buffer);
  const out: { column: string; header: ReturnType<typeof parquetHeader>; body: number }[] = [];
  for (const g of md.row_groups) {
    for (const c of g.columns) {
      const meta = c.meta_data!;
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: start };
      while (reader.offset < start + Number(meta.total_compressed_size)) {
        const header = parquetHeader(reader);
        out.push({ column: meta.path_in_schema.join('.'), header, body: reader.offset });
        reader.offset += header.compressed_page_size;
      }
      assert.equal(reader.offset, start + Number(meta.total_compressed_size), 'the chunk size covers its pages exactly');
    }
  }
  return out;
}

test('DuckDB-written files carry a CRC-32 in every page, moved footer offsets, and read back every edge value exactly', async () => {
  const columns = sampleColumns(10_000);
  const bytes = await writeParquetDuckdb(fields, columns, { rowGroupRows: 4096 });
  const all = pages(bytes);
  assert.ok(all.some((p) => p.header.type === 'DICTIONARY_PAGE'), 'low-cardinality columns are dictionary-encoded');
  for (const p of all) assert.equal(p.header.crc, crc32(bytes.subarray(p.body, p.body + p.header.compressed_page_size)) | 0, `page of ${p.column}`);
  const md = parquetMetadata(Uint8Array.from(bytes).buffer);
  assert.ok(md.row_groups.length >= 3, 'row groups of about rowGroupRows rows');
  assert.ok(md.row_groups.every((g) => g.columns.every((c) => c.meta_data?.codec === 'SNAPPY' && c.meta_data.statistics !== undefined)));
  const ntz = md.schema.find((e) => e.name === 'ntz')!;
  assert.equal(ntz.converted_type, undefined, 'a wall-clock timestamp has no TIMESTAMP_MICROS (UTC) converted type');
  assert.deepEqual(ntz.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' });
  const back = await readBack(file(bytes));
  columns.forEach((c, k) => assert.deepEqual(back[k], c, `column ${fields[k].name}`));
  // Columns without a null are REQUIRED (their definition levels cut), the others OPTIONAL.
  const repetition = Object.fromEntries(md.schema.slice(1).map((e) => [e.name, e.repetition_type]));
  assert.deepEqual(repetition, Object.fromEntries(fields.map((f, k) => [f.name, columns[k].includes(null) ? 'OPTIONAL' : 'REQUIRED'])));
  const plain = await writeParquetDuckdb(fields, columns, { compression: 'uncompressed', rowGroupRows: 4096 });
  assert.equal(parquetMetadata(Uint8Array.from(plain).buffer).schema.find((e) => e.name === 'dbl')?.repetition_type, 'REQUIRED');
  assert.deepEqual(await readBack(file(plain)), columns);
});

test('a flipped bit in a page of a DuckDB-written file is refused by its CRC', async () => {
  const bytes = await writeParquetDuckdb(fields, sampleColumns(3000));
  const page = pages(bytes).find((p) => p.column === 'dbl' && p.header.type !== 'DICTIONARY_PAGE')!;
  bytes[page.body + 5] ^= 0x10;
  const path = file(bytes);
  await assert.rejects(readBack(path), (e: unknown) => e instanceof ParquetFileError && e.column === 'dbl' && /checksum \(CRC-32\)/.test(e.message));
});

test('thrift-compact rewrites a footer byte for byte', async () => {
  const bytes = await writeParquetDuckdb(fields, sampleColumns(10));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.length - 8, true);
  const footer = bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
  const w = new ThriftWriter();
  writeStruct(w, readStruct({ bytes: footer, offset: 0 }));
  assert.deepEqual(w.result(), footer);
});

test('compression: zstd and uncompressed are written as asked; zstd is refused, naming the column, where hyparquet-writer writes', async () => {
  const columns = sampleColumns(100);
  const codec = (b: Uint8Array) => parquetMetadata(Uint8Array.from(b).buffer).row_groups[0].columns[0].meta_data?.codec;
  const zstd = await writeParquet(fields, columns, { compression: 'zstd' });
  assert.equal(codec(zstd), 'ZSTD');
  assert.deepEqual(await readBack(file(zstd)), columns);
  const plain = await writeParquet(fields, columns, { compression: 'uncompressed' });
  assert.equal(codec(plain), 'UNCOMPRESSED');
  assert.deepEqual(await readBack(file(plain)), columns);
  const withBinary = [field('id', 'long'), field('b', 'binary')];
  await assert.rejects(writeParquet(withBinary, [[1n], [new Uint8Array([1])]], { compression: 'zstd' }),
    (e: unknown) => e instanceof DeltaTableError && /ZSTD compression is not available for column 'b' \(binary\)/.test(e.message));
});

test('table properties parquet.compression, parquet.rowGroupRows and delta.targetFileSize shape the files; write options win; typos are refused', async () => {
  await assert.rejects(DeltaTable.create(join(root, 'bad1'), { schema: { id: 'long' }, properties: { 'parquet.compression': 'lzo' } }),
    (e: unknown) => e instanceof DeltaTableError && /'parquet.compression' is 'lzo', not 'snappy', 'zstd' or 'uncompressed'/.test(e.message));
  await assert.rejects(DeltaTable.create(join(root, 'bad2'), { schema: { id: 'long' }, properties: { 'parquet.compresion': 'zstd' } }),
    (e: unknown) => e instanceof DeltaTableError && /did you mean `parquet.compression`/.test(e.message));
  await assert.rejects(DeltaTable.create(join(root, 'bad3'), { schema: { id: 'long' }, properties: { 'delta.targetFileSize': 'big' } }), DeltaTableError);
  const path = join(root, 'props');
  const table = await DeltaTable.create(path, { schema: { id: 'long', s: 'string' }, properties: { 'parquet.compression': 'zstd', 'delta.targetFileSize': '64kb' } });
  const rows = Array.from({ length: 50_000 }, (_, i) => ({ id: i, s: `v${i}` }));
  await table.append(rows);
  const names = (await table.snapshot()).files.map((f) => f.path);
  assert.ok(names.length >= 3 && names.every((n) => n.endsWith('.zstd.parquet')), `several zstd files of about 64 KB: ${names.join(', ')}`);
  await table.append(rows.slice(0, 10), { parquet: { compression: 'uncompressed' } });
  assert.ok(readdirSync(path).some((n) => /-c000\.parquet$/.test(n)), 'an uncompressed file has no codec in its name');
  assert.equal((await table.read()).length, 50_010);
  await assert.rejects(table.append(rows, { parquet: { compresion: 'zstd' } as never }), (e: unknown) => e instanceof DeltaTableError && /did you mean `compression`/.test(e.message));
});

test('low-cardinality strings loaded as codes read back exactly (quotes, accents, nulls); unsafe or many distinct strings as strings', async () => {
  const { stringCodes } = await import('./duckdb-string-codes.ts');
  const n = 70_000;
  const few = ["it's", 'é', '"q"', '', 'fr'];
  const cols: DeltaValue[][] = [
    Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : few[i % 5])),
    Array.from({ length: n }, (_, i) => `u${i}`),
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'a😀' : 'b')),
  ];
  assert.ok(stringCodes(cols[0]) !== undefined);
  assert.equal(stringCodes(cols[1]), undefined);
  assert.equal(stringCodes(cols[2]), undefined);
  const fs = [field('low', 'string'), field('high', 'string'), field('emoji', 'string', false)];
  const path = file(await writeParquetDuckdb(fs, cols));
  const got: DeltaValue[][] = [[], [], []];
  for await (const g of readRowGroups(path, fs)) g.columns.forEach((c, k) => { for (let i = 0; i < g.numRows; i++) got[k].push((c as ArrayLike<DeltaValue>)[i]); });
  cols.forEach((c, k) => assert.deepEqual(got[k], c, fs[k].name));
});
