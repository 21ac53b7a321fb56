import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DeltaTable, ParquetFileError } from './index.ts';
import { readRowGroups, writeParquet } from './parquet-io.ts';
import type { SchemaField } from './schema.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-parquet-guard-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (bytes: Uint8Array): string => {
  const path = join(root, `f${n++}.parquet`);
  writeFileSync(path, bytes);
  return path;
};

const FIELDS: SchemaField[] = [
  { name: 'id', type: 'long', nullable: false, metadata: {} },
  { name: 's', type: 'string', nullable: true, metadata: {} },
];
const ROWS = 3000;
const sample = (): Promise<Uint8Array> => writeParquet(FIELDS, [
  Array.from({ length: ROWS }, (_, i) => BigInt(i)),
  Array.from({ length: ROWS }, (_, i) => (i % 5 === 0 ? null : `v${i % 40}`)),
]);

async function readAll(path: string, fields: readonly SchemaField[] = FIELDS): Promise<{ rows: number; ids: bigint }> {
  let rows = 0;
  let ids = 0n;
  for await (const g of readRowGroups(path, fields)) {
    rows += g.numRows;
    const col = g.columns[0];
    for (let i = 0; col && i < g.numRows; i++) ids += BigInt((col[i] ?? 0) as bigint | number);
  }
  return { rows, ids };
}

/** Every page of every column chunk: its header and body offsets. */
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
    }
  }
  return out;
}

test('Riffle writes a CRC-32 of each page body into its header; the file reads back unchanged', async () => {
  const bytes = await sample();
  const all = pages(bytes);
  assert.ok(all.length >= 3);
  for (const p of all) assert.equal(p.header.crc, crc32(bytes.subarray(p.body, p.body + p.header.compressed_page_size)) | 0);
  assert.deepEqual(await readAll(file(bytes)), { rows: ROWS, ids: BigInt((ROWS * (ROWS - 1)) / 2) });
});

test('one flipped bit in a page is refused by its CRC, naming the file, row group and column', async () => {
  const bytes = await sample();
  const page = pages(bytes).find((p) => p.column === 's' && p.header.type !== 'DICTIONARY_PAGE')!;
  bytes[page.body + 3] ^= 0x04;
  const path = file(bytes);
  await assert.rejects(readAll(path), (e: unknown) => e instanceof ParquetFileError && e.code === 'PARQUET_CORRUPT' && e.file === path
    && e.rowGroup === 0 && e.column === 's' && /fails its checksum \(CRC-32\)/.test(e.message));
});

test('truncated files, a wrong footer length and a non-Parquet file are ParquetFileErrors, not stacks', async () => {
  const bytes = await sample();
  await assert.rejects(readAll(file(bytes.subarray(0, bytes.length - 100))), (e: unknown) => e instanceof ParquetFileError && /does not end with the Parquet magic/.test(e.message));
  await assert.rejects(readAll(file(bytes.subarray(0, 8))), (e: unknown) => e instanceof ParquetFileError && /too short/.test(e.message));
  const footer = bytes.slice();
  new DataView(footer.buffer).setUint32(footer.length - 8, footer.length * 2, true);
  await assert.rejects(readAll(file(footer)), (e: unknown) => e instanceof ParquetFileError && /footer claims \d+ bytes of metadata/.test(e.message));
  await assert.rejects(readAll(file(new TextEncoder().encode('id,name\n1,a\n2,b\n'))), (e: unknown) => e instanceof ParquetFileError && /PAR1/.test(e.message));
});

test('a run longer than its page (which sent hyparquet into an unbounded loop) is refused at once in a file without CRCs', async () => {
  // hyparquet-writer alone writes no CRC, like many writers: the run headers are what is checked.
  const bytes = new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'x', data: Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? null : i)), type: 'INT32' }], codec: 'UNCOMPRESSED',
  }));
  const field: SchemaField[] = [{ name: 'x', type: 'integer', nullable: true, metadata: {} }];
  assert.deepEqual((await readAll(file(bytes), field)).rows, 1000, 'the undamaged file reads');
  const page = pages(bytes).find((p) => p.header.type === 'DATA_PAGE_V2')!;
  assert.equal(page.header.crc, undefined);
  bytes.set([0x80, 0x80, 0x80, 0x80, 0x01], page.body); // definition levels: one RLE run of 2^27 values
  const started = Date.now();
  await assert.rejects(readAll(file(bytes), field), (e: unknown) => e instanceof ParquetFileError && e.column === 'x' && /a run of 134217728 values where 1000 remain/.test(e.message));
  assert.ok(Date.now() - started < 5000);
});

test('a damaged data file of a table is refused by read, naming its log path and the table', async () => {
  const t = await DeltaTable.create(join(root, 'table'), { schema: { id: 'long', s: 'string' } });
  await t.append(Array.from({ length: 500 }, (_, i) => ({ id: i, s: `x${i % 9}` })));
  const name = readdirSync(t.path).find((f) => f.endsWith('.parquet'))!;
  const bytes = readFileSync(join(t.path, name));
  const page = pages(bytes).find((p) => p.column === 'id')!;
  bytes[page.body + 10] ^= 0x01;
  writeFileSync(join(t.path, name), bytes);
  await assert.rejects(t.read(), (e: unknown) => e instanceof ParquetFileError && e.message.includes(`${name} (in ${t.path})`) && e.column === 'id');
  assert.deepEqual((await t.read({ columns: ['s'] })).length, 500, 'an undamaged column of the file still reads');
});

test('a footer whose types would decode values differently is refused: physical type, missing or contradictory annotations', async () => {
  const doubles = file(await writeParquet([{ name: 'x', type: 'double', nullable: false, metadata: {} }], [[1.5, 2.5]]));
  await assert.rejects(readAll(doubles, [{ name: 'x', type: 'float', nullable: false, metadata: {} }]), (e: unknown) => e instanceof ParquetFileError && /column 'x' \(float in the table\) is stored as DOUBLE/.test(e.message));
  const ts = (element: Record<string, unknown>): string => file(new Uint8Array(parquetWriteBuffer({
    schema: [{ name: 'root', num_children: 1 }, { name: 't', repetition_type: 'REQUIRED', type: 'INT64', ...element }],
    columnData: [{ name: 't', data: [1_700_000_000_000_000n] }],
  } as never)));
  const field: SchemaField[] = [{ name: 't', type: 'timestamp', nullable: false, metadata: {} }];
  await assert.rejects(readAll(ts({ converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }), field),
    (e: unknown) => e instanceof ParquetFileError && /contradictory annotations \(TIMESTAMP_MILLIS and TIMESTAMP\(MICROS\)\)/.test(e.message));
  await assert.rejects(readAll(ts({}), field), (e: unknown) => e instanceof ParquetFileError && /no TIMESTAMP annotation/.test(e.message));
  assert.equal((await readAll(ts({ converted_type: 'TIMESTAMP_MICROS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }), field)).rows, 1);
});

test('a flipped bit in any page header (outside the page CRCs) or a column type in the footer is refused or harmless', async () => {
  // Found by the fuzz tier: PLAIN flipped to a dictionary encoding read a column of zeros; a dictionary page's count or
  // a v2 page's null count made rows null; INT64 flipped in a column chunk's metadata read booleans.
  const bytes = await sample();
  const everything = async (path: string): Promise<string> => {
    const out: string[] = [];
    for await (const g of readRowGroups(path, FIELDS)) for (let r = 0; r < g.numRows; r++) out.push(`${String(g.columns[0]?.[r])},${String(g.columns[1]?.[r])}`);
    return out.join('\n');
  };
  const expected = await everything(file(bytes));
  const all = pages(bytes);
  // Each header runs from the end of the previous page's body (or its chunk's start) to its own body.
  const ranges = all.map((p, i) => [i === 0 || all[i - 1].column !== p.column ? p.body - 40 : all[i - 1].body + all[i - 1].header.compressed_page_size, p.body]);
  const silent: string[] = [];
  for (const [from, to] of ranges) {
    for (let bit = Math.max(4, from) * 8; bit < to * 8; bit++) {
      const b = Uint8Array.from(bytes);
      b[bit >> 3] ^= 1 << (bit & 7);
      try {
        if ((await everything(file(b))) !== expected) silent.push(`byte ${bit >> 3} bit ${bit & 7}`);
      } catch (e) {
        assert.ok(e instanceof ParquetFileError, `byte ${bit >> 3} bit ${bit & 7}: ${String(e)}`);
      }
    }
  }
  assert.deepEqual(silent, []);
});
