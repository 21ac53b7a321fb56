/**
 * Page CRC-32s added to a Parquet file another engine wrote (DuckDB's writer writes none; the trust rules want one in
 * every page Riffle writes). Every page header of every column chunk is re-serialized with its `crc` — the CRC-32 of
 * the page's bytes after the header, as the format defines it and parquet-mr / Arrow check it — and the footer's
 * offsets and sizes (column chunk and page offsets, chunk and row-group sizes, bloom filter offsets) are moved by the bytes the checksums add. Everything else in the footer (statistics, encodings, key-value
 * metadata, fields Riffle does not know) is kept byte for byte through thrift-compact.ts. Page bodies are not copied
 * until the final concatenation.
 *
 * The footer is also corrected where a writer contradicts the format: a TIMESTAMP not adjusted to UTC loses the
 * TIMESTAMP_MILLIS/MICROS converted type (which means adjusted to UTC; DuckDB writes both).
 *
 * With `compressPages`, the input's pages are uncompressed and leave compressed with `codec` (each page is compressed
 * once, here, instead of by the writer and again after the cut below: DuckDB writes such a file with less CPU).
 *
 * With a `codec` given (snappy or uncompressed files), a top-level OPTIONAL column that holds no null in the whole
 * file (every row group's statistics say null_count 0) becomes REQUIRED: its v1 data pages are decompressed, their
 * definition levels (a length-prefixed RLE run, all "present") cut off, and recompressed. DuckDB writes every column
 * OPTIONAL; hyparquet decodes an OPTIONAL column value by value through its level assembly, a REQUIRED one as a
 * typed array (row reads of such files took twice the CPU).
 */
import { crc32 } from 'node:zlib';
import { readStruct, T, type TField, ThriftError, type TList, type TStruct, ThriftWriter, writeStruct } from './thrift-compact.ts';

const MAGIC = 0x31524150; // 'PAR1' little-endian

/** Thrown when the input is not a Parquet file this pass can rewrite (an engine fault, never a user's input). */
export class ParquetCrcPassError extends Error {
  constructor(message: string) {
    super(`adding page CRCs: ${message}`);
    this.name = 'ParquetCrcPassError';
  }
}

const field = (s: TStruct, id: number): TField['value'] | undefined => s.get(id)?.value;
const structs = (v: TField['value'] | undefined): TStruct[] => ((v as TList | undefined)?.items ?? []) as TStruct[];
const i64 = (s: TStruct, id: number): bigint | undefined => { const v = field(s, id); return v === undefined ? undefined : BigInt(v as bigint | number); };
const setI64 = (s: TStruct, id: number, v: bigint): void => { s.set(id, { type: T.I64, value: v }); };

/** Page (de)compression for making columns REQUIRED: the file's codec, by name as the footer has it. */
export interface PageCodec {
  readonly name: 'SNAPPY' | 'UNCOMPRESSED';
  readonly compress: (bytes: Uint8Array) => Uint8Array;
  readonly uncompress: (bytes: Uint8Array) => Uint8Array;
}
const CODECS = ['UNCOMPRESSED', 'SNAPPY'];

/**
 * The file with a CRC-32 in every page header and its footer's offsets moved accordingly (and, given the file's
 * codec, columns without nulls made REQUIRED).
 *
 * @example
 * const withCrcs = addPageCrcs(readFileSync('duckdb-output.parquet'));
 */
export function addPageCrcs(file: Uint8Array, codec?: PageCodec, compressPages = false): Uint8Array {
  if (compressPages && codec === undefined) throw new ParquetCrcPassError('compressPages needs a codec');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 12 || view.getUint32(0, true) !== MAGIC || view.getUint32(file.length - 4, true) !== MAGIC) throw new ParquetCrcPassError('not a Parquet file (no PAR1 magic)');
  const footerLength = view.getUint32(file.length - 8, true);
  const footerStart = file.length - 8 - footerLength;
  if (footerStart < 4) throw new ParquetCrcPassError('the footer length passes the start of the file');
  let meta: TStruct;
  try {
    meta = readStruct({ bytes: file.subarray(footerStart, file.length - 8), offset: 0 });
  } catch (e) {
    throw new ParquetCrcPassError(`unreadable footer (${(e as Error).message})`);
  }

  interface Chunk { chunk: TStruct; meta: TStruct; start: number; end: number; newStart: number; newSize: number; growth: number; headerGrowth: number; uncompressedDelta: number }
  const groups = structs(field(meta, 4));
  const chunks: Chunk[] = [];
  let hadPageIndex = false;
  for (const g of groups) {
    for (const c of structs(field(g, 1))) {
      const m = field(c, 3) as TStruct | undefined;
      if (m === undefined) throw new ParquetCrcPassError('a column chunk has no metadata');
      // Page indexes (arrow-rs writes them) locate pages by offset and size, which this pass changes: they are
      // dropped (Riffle prunes by row-group statistics only), and so are the bytes they occupied after the data.
      if (c.has(4) || c.has(6)) { for (const id of [4, 5, 6, 7]) c.delete(id); hadPageIndex = true; }
      const data = Number(i64(m, 9));
      const dict = i64(m, 11);
      const start = dict !== undefined && dict > 0n && Number(dict) < data ? Number(dict) : data;
      const end = start + Number(i64(m, 7));
      if (start < 4 || end > footerStart) throw new ParquetCrcPassError(`a column chunk [${start}, ${end}) lies outside the data`);
      chunks.push({ chunk: c, meta: m, start, end, newStart: 0, newSize: 0, growth: 0, headerGrowth: 0, uncompressedDelta: 0 });
    }
  }
  chunks.sort((a, b) => a.start - b.start);
  if (hadPageIndex) for (const ch of chunks) { ch.meta.delete(14); ch.meta.delete(15); } // bloom filters lie among the dropped bytes too
  const required = codec !== undefined ? requiredColumns(meta, groups, compressPages ? 'UNCOMPRESSED' : codec.name) : new Set<string>();

  // Rewrite: bytes outside chunks verbatim, pages with their CRC; pageStarts/growthBefore map old offsets to new.
  const pieces: Uint8Array[] = [];
  let out = 0;
  const push = (b: Uint8Array): void => { pieces.push(b); out += b.length; };
  const pageStarts: number[] = [];
  const growthAfter: number[] = [];
  let growth = 0;
  let pos = 0;
  for (const ch of chunks) {
    if (ch.start < pos) throw new ParquetCrcPassError('column chunks overlap');
    push(file.subarray(pos, ch.start));
    ch.newStart = out;
    let at = ch.start;
    while (at < ch.end) {
      let header: TStruct;
      const r = { bytes: file.subarray(0, ch.end), offset: at };
      try {
        header = readStruct(r);
      } catch (e) {
        throw new ParquetCrcPassError(`unreadable page header at ${at} (${e instanceof ThriftError ? e.message : String(e)})`);
      }
      const size = Number(field(header, 3));
      const bodyStart = r.offset;
      if (!(size >= 0) || bodyStart + size > ch.end) throw new ParquetCrcPassError(`a page at ${at} overruns its column chunk`);
      let body = file.subarray(bodyStart, bodyStart + size);
      const pageType = field(header, 1);
      if (pageType === 0 && required.has(columnPath(ch.meta))) {
        // A v1 data page of a column made REQUIRED: its definition levels go (u32 length, then the RLE bytes).
        const page = compressPages ? body : codec!.uncompress(body);
        const levels = 4 + new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(0, true);
        if (levels > page.length) throw new ParquetCrcPassError(`a page at ${at} has definition levels past its end`);
        body = codec!.name === 'UNCOMPRESSED' ? page.subarray(levels) : codec!.compress(page.subarray(levels));
        ch.uncompressedDelta -= levels;
        header.set(2, { type: T.I32, value: Number(field(header, 2)) - levels });
        header.set(3, { type: T.I32, value: body.length });
      } else if (compressPages) {
        if (pageType !== 0 && pageType !== 2) throw new ParquetCrcPassError(`a page at ${at} is of type ${String(pageType)}; only v1 data and dictionary pages are compressed here`);
        body = codec!.compress(body);
        header.set(3, { type: T.I32, value: body.length });
      }
      header.set(4, { type: T.I32, value: crc32(body) | 0 });
      const w = new ThriftWriter();
      writeStruct(w, header);
      const added = w.length + body.length - (bodyStart - at) - size;
      ch.headerGrowth += w.length - (bodyStart - at);
      push(w.result());
      push(body);
      ch.growth += added;
      growth += added;
      pageStarts.push(at);
      growthAfter.push(growth);
      at = bodyStart + size;
    }
    ch.newSize = out - ch.newStart;
    pos = ch.end;
  }
  if (!hadPageIndex) push(file.subarray(pos, footerStart));

  /** An old offset's new place: moved by the growth of every page that starts before it. */
  const moved = (old: bigint): bigint => {
    const o = Number(old);
    let lo = 0;
    let hi = pageStarts.length; // first page starting at or after o
    while (lo < hi) { const mid = (lo + hi) >> 1; if (pageStarts[mid] < o) lo = mid + 1; else hi = mid; }
    return old + BigInt(lo === 0 ? 0 : growthAfter[lo - 1]);
  };
  for (const ch of chunks) {
    const { chunk: c, meta: m } = ch;
    for (const id of [9, 10, 11, 14]) { const v = i64(m, id); if (v !== undefined && v > 0n) setI64(m, id, moved(v)); }
    const fileOffset = i64(c, 2);
    if (fileOffset !== undefined && fileOffset > 0n) setI64(c, 2, moved(fileOffset));
    setI64(m, 7, BigInt(ch.newSize));
    if (compressPages) m.set(4, { type: T.I32, value: CODECS.indexOf(codec!.name) });
    setI64(m, 6, (i64(m, 6) ?? 0n) + BigInt(ch.headerGrowth + ch.uncompressedDelta));
  }
  for (const g of groups) {
    const cs = structs(field(g, 1));
    let compressed = 0n;
    let uncompressed = 0n;
    for (const c of cs) { const m = field(c, 3) as TStruct; compressed += i64(m, 7) as bigint; uncompressed += i64(m, 6) as bigint; }
    setI64(g, 2, uncompressed);
    if (g.has(6)) setI64(g, 6, compressed);
    const groupOffset = i64(g, 5);
    if (groupOffset !== undefined) setI64(g, 5, moved(groupOffset));
  }
  fixTimestampAnnotations(structs(field(meta, 2)));

  const w = new ThriftWriter();
  writeStruct(w, meta);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, w.length, true);
  new DataView(tail.buffer).setUint32(4, MAGIC, true);
  push(w.result());
  push(tail);
  const result = new Uint8Array(out);
  let k = 0;
  for (const p of pieces) { result.set(p, k); k += p.length; }
  return result;
}

/** TIMESTAMP_MILLIS (9) / TIMESTAMP_MICROS (10) converted types removed where the logical type says not UTC. */
function fixTimestampAnnotations(schema: TStruct[]): void {
  for (const e of schema) {
    const converted = field(e, 6);
    if (converted !== 9 && converted !== 10) continue;
    const timestamp = (field(e, 10) as TStruct | undefined)?.get(8)?.value as TStruct | undefined;
    if (timestamp !== undefined && field(timestamp, 1) === false) e.delete(6);
  }
}

/** A column chunk's path in the schema, dot-joined. */
function columnPath(m: TStruct): string {
  return ((field(m, 3) as TList).items as Uint8Array[]).map((b) => new TextDecoder().decode(b)).join('.');
}

/**
 * Top-level OPTIONAL leaf columns with no null in the file (statistics null_count 0 in every row group) and pages
 * of the codec named: they are written REQUIRED (their schema elements changed here).
 */
function requiredColumns(meta: TStruct, groups: readonly TStruct[], codecName: string): Set<string> {
  const schema = structs(field(meta, 2));
  const candidates = new Map<string, TStruct>();
  for (const e of schema.slice(1)) {
    // field 3 repetition (1 OPTIONAL), field 5 num_children: a flat schema's leaves only.
    if (field(e, 5) !== undefined) return new Set();
    if (field(e, 3) === 1) candidates.set(new TextDecoder().decode(field(e, 4) as Uint8Array), e);
  }
  for (const g of groups) {
    for (const c of structs(field(g, 1))) {
      const m = field(c, 3) as TStruct;
      const path = columnPath(m);
      const nulls = (field(m, 12) as TStruct | undefined)?.get(3)?.value;
      if (CODECS[field(m, 4) as number] !== codecName || nulls === undefined || BigInt(nulls as bigint) !== 0n) candidates.delete(path);
    }
  }
  for (const e of candidates.values()) e.set(3, { type: T.I32, value: 0 });
  return new Set(candidates.keys());
}
