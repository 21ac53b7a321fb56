/**
 * Writing Parquet files with page checksums. hyparquet-writer leaves the PageHeader `crc` field unset, so a flipped
 * bit in a page is decoded into silently different values. Here its `ParquetWriter` encodes the row groups as usual
 * into a buffer; then, before the footer is written, each column chunk is copied page by page with the header
 * re-serialized to carry `crc` — the CRC-32 of the page's bytes after the header (levels and compressed data), as the
 * Parquet format defines it and parquet-mr / Arrow check it — and the writer's own footer metadata (column chunk
 * offsets and sizes, offset-index page locations) is shifted by the bytes the checksums add. The writer's `finish()`
 * then writes indexes, bloom filters and the footer from that corrected metadata. Reading checks the CRCs
 * (parquet-guard.ts).
 */
import { crc32 } from 'node:zlib';
import type { PageHeader } from 'hyparquet';

type HyparquetWriter = typeof import('hyparquet-writer');
type WriteOptions = Parameters<HyparquetWriter['parquetWriteBuffer']>[0];
type ParquetWriterInstance = InstanceType<HyparquetWriter['ParquetWriter']>;
type ByteWriterInstance = InstanceType<HyparquetWriter['ByteWriter']>;

interface Modules {
  writer: HyparquetWriter;
  writePageHeader: (writer: ByteWriterInstance, header: PageHeader) => void;
  parquetHeader: (reader: { view: DataView; offset: number }) => PageHeader;
}
let modules: Promise<Modules> | undefined;

function load(): Promise<Modules> {
  return (modules ??= Promise.all([
    import('hyparquet-writer'),
    import('hyparquet-writer/src/datapage.js'),
    import('hyparquet/src/column.js'),
  ]).then(([writer, datapage, column]) => ({
    writer,
    writePageHeader: datapage.writePageHeader as unknown as Modules['writePageHeader'],
    parquetHeader: column.parquetHeader as unknown as Modules['parquetHeader'],
  })));
}

/**
 * The CRC-32 of bytes as Parquet's PageHeader stores it (a signed 32-bit integer).
 *
 * @example
 * pageCrc(new Uint8Array([1, 2, 3])) === (crc32(new Uint8Array([1, 2, 3])) | 0); // true
 */
export function pageCrc(bytes: Uint8Array): number {
  return crc32(bytes) | 0;
}

/**
 * `parquetWriteBuffer` with a CRC-32 in every page header (same options, same layout otherwise).
 *
 * @example
 * const bytes = await parquetWriteWithCrc({ schema, columnData, compressors, createdBy: 'riffle' });
 */
export async function parquetWriteWithCrc(options: Omit<WriteOptions, 'writer'>): Promise<Uint8Array> {
  const { writer: w, writePageHeader, parquetHeader } = await load();
  const body = new w.ByteWriter();
  const pq = new w.ParquetWriter({
    writer: body, schema: options.schema as NonNullable<WriteOptions['schema']>, codec: options.codec, compressors: options.compressors,
    statistics: options.statistics, statisticsTruncateLength: options.statisticsTruncateLength, kvMetadata: options.kvMetadata, createdBy: options.createdBy,
  }) as ParquetWriterInstance & { writer: ByteWriterInstance; row_groups: RowGroupMeta[]; pendingIndexes: PendingIndex[] };
  const pending = pq.write({ columnData: options.columnData, rowGroupSize: options.rowGroupSize, pageSize: options.pageSize, dictionarySize: options.dictionarySize });
  if (pending) await pending;
  const raw = body.getBytes();
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new w.ByteWriter();
  out.appendUint32(0x31524150); // PAR1
  const moved = new Map<number, { offset: number; size: number }>(); // old page offset → new offset and size
  for (const group of pq.row_groups) {
    let groupSize = 0;
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      const start = Number(chunk.file_offset);
      const end = start + Number(meta.total_compressed_size);
      const newStart = out.offset;
      let growth = 0;
      const reader = { view, offset: start };
      while (reader.offset < end) {
        const pageStart = reader.offset;
        const header = parquetHeader(reader);
        const bodyStart = reader.offset;
        const bytes = raw.subarray(bodyStart, bodyStart + header.compressed_page_size);
        const newOffset = out.offset;
        writePageHeader(out, { ...header, crc: pageCrc(bytes) });
        out.appendBytes(bytes);
        reader.offset = bodyStart + header.compressed_page_size;
        moved.set(pageStart, { offset: newOffset, size: out.offset - newOffset });
        growth += (out.offset - newOffset) - (reader.offset - pageStart);
      }
      if (reader.offset !== end) throw new Error(`parquet-crc: column chunk pages overrun the chunk (${reader.offset} > ${end})`);
      const at = (old: bigint): bigint => BigInt((moved.get(Number(old)) as { offset: number }).offset);
      chunk.file_offset = BigInt(newStart);
      meta.data_page_offset = at(meta.data_page_offset);
      if (meta.dictionary_page_offset !== undefined) meta.dictionary_page_offset = at(meta.dictionary_page_offset);
      meta.total_compressed_size = BigInt(out.offset - newStart);
      meta.total_uncompressed_size += BigInt(growth);
      groupSize += out.offset - newStart;
    }
    group.total_compressed_size = BigInt(groupSize);
    group.total_byte_size = group.columns.reduce((n, c) => n + (c.meta_data?.total_uncompressed_size ?? 0n), 0n);
  }
  for (const index of pq.pendingIndexes) {
    for (const location of index.offsetIndex?.page_locations ?? []) {
      const m = moved.get(Number(location.offset));
      if (!m) throw new Error('parquet-crc: an offset index names a page that was not written');
      location.offset = BigInt(m.offset);
      location.compressed_page_size = m.size;
    }
  }
  pq.writer = out;
  await pq.finish();
  return out.getBytes();
}

interface RowGroupMeta {
  columns: { file_offset: bigint; meta_data?: { data_page_offset: bigint; dictionary_page_offset?: bigint; total_compressed_size: bigint; total_uncompressed_size: bigint } }[];
  total_compressed_size?: bigint;
  total_byte_size: bigint;
}
interface PendingIndex {
  offsetIndex?: { page_locations: { offset: bigint; compressed_page_size: number }[] };
}
