/**
 * Arrow record batches written as data files without row objects: their columns go into DuckDB's writer as they are
 * (numbers, timestamps, validity bitmaps as byte ranges; strings once per value, dictionary strings once per entry:
 * `loadBatches`, the loader `riffle sql` uses), and the file statistics are computed once, from the batches' typed
 * arrays (strings and dates through their canonical values). Batches must carry the table's columns with the Arrow
 * types `DeltaTable.readBatches` gives (`arrowTypeOf`; any time zone for timestamp, dictionaries of strings too);
 * anything else is a `SchemaMismatchError` naming the column. Where this path does not apply — a partitioned table,
 * a column DuckDB's writer does not take, a batch lacking a nullable column, fewer rows than DuckDB is worth — the
 * caller writes the batches' rows instead (`undefined`).
 */
import type { Data, RecordBatch } from 'apache-arrow';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isObjectStoreUrl, locateObject } from '../object-store/index.ts';
import type { AddAction } from './actions.ts';
import { batchFields, valueReader } from './batch-rows.ts';
import { MAX_ROWS_PER_FILE, type FileLayout } from './data-writer.ts';
import { duckdbParquet, duckdbWritable } from './duckdb-parquet-writer.ts';
import { decodeExpression, utf8Codes } from './duckdb-string-codes.ts';
import { type ArrowModule, bitsFrom, loadArrow, unslicedBatch } from './arrow-batch.ts';
import { SchemaMismatchError } from './errors.ts';
import { computeStats, statsTags } from './file-stats.ts';
import { DUCKDB_MIN_ROWS } from './parquet-io.ts';
import { dataFilePath, toLogPath } from './partition-path.ts';
import type { SchemaField, TableSchema } from './schema.ts';
import type { DeltaValue } from './value-mapping.ts';
import { compareUtf8 } from './value-order.ts';

/**
 * Checks batches against the table's columns: every batch column is a table column of the same Delta type (its
 * Arrow type as `batchFields` reads it), holding no null where the column is not nullable. Returns whether every
 * batch holds every table column (else the rows path fills the missing ones with nulls).
 *
 * @example
 * checkBatches(schema.fields, batches); // throws SchemaMismatchError: column 'id' expects long, got Arrow Int32 (integer)
 */
export function checkBatches(fields: readonly SchemaField[], batches: readonly RecordBatch[]): boolean {
  const byName = new Map(fields.map((f) => [f.name, f]));
  let complete = true;
  for (const batch of batches) {
    const types = batchFields(batch);
    batch.schema.fields.forEach((column, k) => {
      const field = byName.get(column.name);
      if (field === undefined) {
        throw new SchemaMismatchError(column.name, `a batch has column '${column.name}', which is not in the table schema (${fields.map((f) => f.name).join(', ')})`);
      }
      if (types[k].type !== field.type) {
        throw new SchemaMismatchError(column.name, `column '${column.name}' expects ${field.type}, got Arrow ${String(column.type)} (${types[k].type})`, { expected: field.type },
          `cast the column to the Arrow type DeltaTable.readBatches gives for ${field.type}`);
      }
      if (!field.nullable && batch.data.children[k].nullCount > 0) {
        throw new SchemaMismatchError(column.name, `column '${column.name}' is not nullable (${field.type}), but a batch holds ${batch.data.children[k].nullCount} nulls in it`);
      }
    });
    if (fields.some((f) => batch.schema.fields.every((c) => c.name !== f.name))) complete = false;
  }
  return complete;
}

/** The batch's columns in the table's field order. */
const ordered = (fields: readonly SchemaField[], batch: RecordBatch): Data[] => fields.map((f) => batch.data.children[batch.schema.fields.findIndex((c) => c.name === f.name)]);

const NUMERIC: ReadonlySet<string> = new Set(['long', 'timestamp', 'timestamp_ntz', 'integer', 'short', 'byte', 'double', 'float']);
const INT64: ReadonlySet<string> = new Set(['long', 'timestamp', 'timestamp_ntz']);

const valid = (d: Data, i: number): boolean => d.nullCount === 0 || d.nullBitmap === undefined || d.nullBitmap.length === 0
  || (d.nullBitmap[(d.offset + i) >> 3] & (1 << ((d.offset + i) & 7))) !== 0;

/** Byte-wise order of two UTF-8 ranges (which is code point order: the order of Delta strings). */
function compareBytes(a: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < n; k++) { const d = a[aStart + k] - a[bStart + k]; if (d !== 0) return d; }
  return (aEnd - aStart) - (bEnd - bStart);
}

/**
 * A column's summary for `computeStats`, which reads only a column's minimum, maximum and nulls: `[min, max]` and
 * one null per null value (or only the nulls when there is no value). Found without a value per row: int64s as
 * pairs of 32-bit words (no bigint per value), strings as UTF-8 byte ranges (no string per value; only the two
 * bounds are decoded). Undefined for other columns.
 */
function summary(field: SchemaField, parts: readonly Data[]): DeltaValue[] | undefined {
  let nulls = 0;
  if (INT64.has(field.type)) {
    let minHi = 0; let minLo = 0; let maxHi = 0; let maxLo = 0; let any = false;
    for (const d of parts) {
      const v = d.values as BigInt64Array;
      const hi = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      const lo = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
      for (let i = 0; i < d.length; i++) {
        if (!valid(d, i)) { nulls++; continue; }
        const j = 2 * (d.offset + i);
        const h = hi[j + 1];
        const l = lo[j];
        if (!any) { minHi = maxHi = h; minLo = maxLo = l; any = true; continue; }
        if (h < minHi || (h === minHi && l < minLo)) { minHi = h; minLo = l; }
        if (h > maxHi || (h === maxHi && l > maxLo)) { maxHi = h; maxLo = l; }
      }
    }
    const out: DeltaValue[] = any ? [(BigInt(minHi) << 32n) | BigInt(minLo), (BigInt(maxHi) << 32n) | BigInt(maxLo)] : [];
    for (let k = 0; k < nulls; k++) out.push(null);
    return out;
  }
  if (field.type !== 'string') return undefined;
  let min: string | null = null;
  let max: string | null = null;
  const decoder = new TextDecoder();
  for (const d of parts) {
    const dict = d.dictionary?.data[0];
    const strings = dict ?? d;
    const offsets = strings.valueOffsets as Int32Array;
    const bytes = strings.values as Uint8Array;
    const indices = dict !== undefined ? d.values as Int32Array : undefined;
    let lo = -1;
    let hi = -1;
    for (let i = 0; i < d.length; i++) {
      if (!valid(d, i)) { nulls++; continue; }
      const j = indices !== undefined ? indices[d.offset + i] + strings.offset : d.offset + i;
      if (lo < 0) { lo = hi = j; continue; }
      if (compareBytes(bytes, offsets[j], offsets[j + 1], offsets[lo], offsets[lo + 1]) < 0) lo = j;
      else if (compareBytes(bytes, offsets[j], offsets[j + 1], offsets[hi], offsets[hi + 1]) > 0) hi = j;
    }
    if (lo < 0) continue;
    const a = decoder.decode(bytes.subarray(offsets[lo], offsets[lo + 1]));
    const b = decoder.decode(bytes.subarray(offsets[hi], offsets[hi + 1]));
    if (min === null || compareUtf8(a, min) < 0) min = a;
    if (max === null || compareUtf8(b, max) > 0) max = b;
  }
  const out: DeltaValue[] = min !== null ? [min, max] : [];
  for (let k = 0; k < nulls; k++) out.push(null);
  return out;
}

/**
 * One column of several batch slices for `computeStats`: a summary (int64s, strings), the typed values themselves
 * for another numeric column without nulls, else the canonical values.
 */
function statsColumn(field: SchemaField, parts: readonly Data[], rows: number): ArrayLike<DeltaValue> {
  const summarized = summary(field, parts);
  if (summarized !== undefined) return summarized;
  if (NUMERIC.has(field.type) && parts.every((d) => d.nullCount === 0)) {
    if (parts.length === 1) { const d = parts[0]; return (d.values as Float64Array).subarray(d.offset, d.offset + d.length) as ArrayLike<DeltaValue>; }
    const Ctor = (parts[0].values as Float64Array).constructor as Float64ArrayConstructor;
    const out = new Ctor(rows);
    let at = 0;
    for (const d of parts) { out.set((d.values as Float64Array).subarray(d.offset, d.offset + d.length), at); at += d.length; }
    return out as ArrayLike<DeltaValue>;
  }
  const out: DeltaValue[] = new Array(rows);
  let at = 0;
  for (const d of parts) {
    const read = valueReader(field, d);
    for (let i = 0; i < d.length; i++) out[at + i] = read(i);
    at += d.length;
  }
  return out;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The slices with each low-cardinality Utf8 string column replaced by its Int32 codes (duckdb-string-codes.ts), the
 * projection that decodes them in DuckDB (undefined when none is coded), and the dictionaries by field index.
 */
function codedStrings(A: ArrowModule, fields: readonly SchemaField[], slices: readonly RecordBatch[], columns: readonly Data[][]): { loaded: RecordBatch[]; select: string | undefined; dictionaries: Map<number, readonly string[]> } {
  const dictionaries = new Map<number, readonly string[]>();
  const codes = new Map<string, Int32Array[]>();
  fields.forEach((f, k) => {
    if (f.type !== 'string') return;
    const coded = utf8Codes(columns.map((c) => c[k]));
    if (coded === undefined) return;
    dictionaries.set(k, coded.dictionary);
    codes.set(f.name, coded.codes);
  });
  if (codes.size === 0) return { loaded: [...slices], select: undefined, dictionaries };
  const loaded = slices.map((slice, b) => {
    const children = slice.schema.fields.map((c, j) => {
      const d = slice.data.children[j];
      const coded = codes.get(c.name)?.[b];
      if (coded === undefined) return d;
      // The codes start at row 0 of the slice: its validity bits are moved there too.
      const bitmap = d.nullCount > 0 && d.nullBitmap !== undefined && d.nullBitmap.length > 0 ? d.nullBitmap : undefined;
      return A.makeData({ type: new A.Int32(), length: d.length, nullCount: bitmap === undefined ? 0 : d.nullCount, nullBitmap: bitmap === undefined ? undefined : bitsFrom(bitmap, d.offset, d.length), data: coded });
    });
    const schema = new A.Schema(slice.schema.fields.map((c, j) => (codes.has(c.name) ? new A.Field(c.name, children[j].type, c.nullable) : c)));
    return new A.RecordBatch(schema, A.makeData({ type: new A.Struct(schema.fields), length: slice.numRows, nullCount: 0, children }));
  });
  const select = slices[0].schema.fields.map((c) => {
    const k = fields.findIndex((f) => f.name === c.name);
    const dictionary = dictionaries.get(k);
    return dictionary === undefined ? quoteIdent(c.name) : `${decodeExpression(quoteIdent(c.name), dictionary)} AS ${quoteIdent(c.name)}`;
  }).join(', ');
  return { loaded, select, dictionaries };
}

/** A coded string column's summary for `computeStats`: its least and greatest dictionary entries and its nulls. */
function dictionarySummary(dictionary: readonly string[], columns: readonly Data[][], k: number): DeltaValue[] {
  let min = dictionary[0];
  let max = dictionary[0];
  for (const s of dictionary) { if (compareUtf8(s, min) < 0) min = s; if (compareUtf8(s, max) > 0) max = s; }
  const out: DeltaValue[] = [min, max];
  for (const c of columns) for (let n = c[k].nullCount; n > 0; n--) out.push(null);
  return out;
}

/**
 * Writes batches as data files of an unpartitioned table through DuckDB's writer and returns their `add` actions
 * (dataChange true); undefined when the batches should be written as rows instead (see the file comment). Batches
 * are checked first (`checkBatches`), so a bad batch fails before any file is written.
 *
 * @example
 * const adds = await writeBatchFiles('/data/t', schema, [], batches, Date.now(), { parquet: { compression: 'zstd' } });
 */
export async function writeBatchFiles(tablePath: string, schema: TableSchema, partitionColumns: readonly string[], batches: readonly RecordBatch[],
  now = Date.now(), layout: FileLayout = {}): Promise<AddAction[] | undefined> {
  const fields = schema.fields;
  const complete = checkBatches(fields, batches);
  const total = batches.reduce((n, b) => n + b.numRows, 0);
  const { targetFileSize, ...encoding } = layout.parquet ?? {};
  if (!complete || partitionColumns.length > 0 || !duckdbWritable(fields) || (total < DUCKDB_MIN_ROWS && encoding.compression !== 'zstd')) return undefined;
  const indexed = layout.numIndexedCols ?? -1;
  const statsFields = indexed < 0 ? fields : fields.slice(0, indexed);
  const { loadBatches } = await import('../sql/column-loader.ts');
  const A = await loadArrow();

  const adds: AddAction[] = [];
  let writtenBytes = 0;
  let writtenRows = 0;
  // Rows per file as data-writer.ts cuts them: at most MAX_ROWS_PER_FILE, or about targetFileSize bytes once the
  // bytes per row of a first file are known (the first file is MAX_ROWS_PER_FILE rows at most).
  const rowsPerFile = (): number => (targetFileSize === undefined || writtenRows === 0 ? MAX_ROWS_PER_FILE : Math.max(1, Math.floor(targetFileSize * writtenRows / writtenBytes)));
  let b = 0;
  let offset = 0; // rows of batches[b] already written
  for (let part = 0; b < batches.length; part++) {
    const want = rowsPerFile();
    const slices: RecordBatch[] = [];
    let rows = 0;
    while (rows < want && b < batches.length) {
      const batch = batches[b];
      const take = Math.min(want - rows, batch.numRows - offset);
      // Columns of a slice start at offset 0 (see unsliced): the loader and the summaries index values from there.
      slices.push(unslicedBatch(A, offset === 0 && take === batch.numRows ? batch : batch.slice(offset, offset + take)));
      rows += take;
      offset += take;
      if (offset >= batch.numRows) { b++; offset = 0; }
    }
    if (rows === 0) continue;
    const columns = slices.map((s) => ordered(fields, s));
    const { loaded, select, dictionaries } = codedStrings(A, fields, slices, columns);
    const bytes = await duckdbParquet((conn, table) => loadBatches(conn, table, loaded), encoding, select);
    const stats = computeStats(statsFields, statsFields.map((f, k) => dictionaries.has(k) ? dictionarySummary(dictionaries.get(k)!, columns, k) : statsColumn(f, columns.map((c) => c[k]), rows)), rows);
    const codec = encoding.compression === 'zstd' ? 'zstd.' : encoding.compression === 'uncompressed' ? '' : 'snappy.';
    const logPath = toLogPath(`${layout.root !== undefined ? `${layout.root}/` : ''}${layout.prefix ?? 'part'}-${String(part).padStart(5, '0')}-${randomUUID()}-c000.${codec}parquet`);
    const target = dataFilePath(tablePath, logPath);
    if (isObjectStoreUrl(target)) {
      const { store, key } = locateObject(target);
      await store.put(key, bytes);
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes, { flag: 'wx' });
    }
    writtenBytes += bytes.byteLength;
    writtenRows += rows;
    const tags = statsTags(stats);
    adds.push({ path: logPath, partitionValues: {}, size: bytes.byteLength, modificationTime: now, dataChange: true, stats, ...(tags ? { tags } : {}) });
  }
  return adds;
}
