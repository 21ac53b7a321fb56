/**
 * Page CRC-32s added to a Parquet file another engine wrote (DuckDB's writer writes none; the trust rules want one in
 * every page Riffle writes). Every page header of every column chunk is re-serialized with its `crc` — the CRC-32 of
 * the page's bytes after the header, as the format defines it and parquet-mr / Arrow check it — and the footer's
 * offsets and sizes (column chunk and page offsets, chunk and row-group sizes, bloom filter and column index
 * offsets) are moved by the bytes the checksums add. Everything else in the footer (statistics, encodings, key-value
 * metadata, fields Riffle does not know) is kept byte for byte through thrift-compact.ts. Page bodies are not copied
 * until the final concatenation.
 *
 * The footer is also corrected where a writer contradicts the format: a TIMESTAMP not adjusted to UTC loses the
 * TIMESTAMP_MILLIS/MICROS converted type (which means adjusted to UTC; DuckDB writes both).
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

/**
 * The file with a CRC-32 in every page header and its footer's offsets moved accordingly.
 *
 * @example
 * const withCrcs = addPageCrcs(readFileSync('duckdb-output.parquet'));
 */
export function addPageCrcs(file: Uint8Array): Uint8Array {
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

  interface Chunk { chunk: TStruct; meta: TStruct; start: number; end: number; newStart: number; newSize: number; growth: number }
  const groups = structs(field(meta, 4));
  const chunks: Chunk[] = [];
  for (const g of groups) {
    for (const c of structs(field(g, 1))) {
      const m = field(c, 3) as TStruct | undefined;
      if (m === undefined) throw new ParquetCrcPassError('a column chunk has no metadata');
      if (c.has(4)) throw new ParquetCrcPassError('the file has an offset index (its page locations would need rewriting)');
      const data = Number(i64(m, 9));
      const dict = i64(m, 11);
      const start = dict !== undefined && dict > 0n && Number(dict) < data ? Number(dict) : data;
      const end = start + Number(i64(m, 7));
      if (start < 4 || end > footerStart) throw new ParquetCrcPassError(`a column chunk [${start}, ${end}) lies outside the data`);
      chunks.push({ chunk: c, meta: m, start, end, newStart: 0, newSize: 0, growth: 0 });
    }
  }
  chunks.sort((a, b) => a.start - b.start);

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
      const body = file.subarray(bodyStart, bodyStart + size);
      header.set(4, { type: T.I32, value: crc32(body) | 0 });
      const w = new ThriftWriter();
      writeStruct(w, header);
      const added = w.length - (bodyStart - at);
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
  push(file.subarray(pos, footerStart));

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
    const columnIndex = i64(c, 6);
    if (columnIndex !== undefined) setI64(c, 6, moved(columnIndex));
    setI64(m, 7, BigInt(ch.newSize));
    setI64(m, 6, (i64(m, 6) ?? 0n) + BigInt(ch.growth));
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
