/**
 * The one guarded way Riffle reads Parquet (data files, checkpoints, `table write --from`, quality's plain files):
 * every length and count hyparquet would trust is checked against the file first, so a damaged file is refused
 * with a `ParquetFileError` naming it (and the row group and column) instead of a stack trace, a hang or silently
 * different values.
 *
 * Strategy: 1. footer — both `PAR1` magics, the metadata length within the file, the metadata parsed; 2. metadata —
 * every column chunk's byte range inside the data area, row counts non-negative and summing to the file's, one chunk
 * per leaf column; 3. before hyparquet decodes a column chunk (checked as its bytes are fetched, so nothing is read
 * twice), its pages are walked: each header parsed, sizes inside the chunk, the CRC-32 checked when the writer
 * stored one (Riffle's writer always does, see parquet-crc.ts), value counts summing to the chunk's and (flat
 * columns) to the row group's rows; for pages without a CRC, the run headers of their RLE/bit-packed levels and
 * dictionary indices are checked against the page's value count — a run longer than the page is how one flipped
 * bit sent hyparquet into an unbounded loop; 4. after decoding, each column must have delivered exactly the row
 * group's rows; 5. any decoder error becomes a `ParquetFileError`.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ParquetFileError } from './errors.ts';
import { RiffleError } from '../model/index.ts';
import { isObjectStoreUrl, openObjectSource } from '../object-store/index.ts';
import { bitWidth, checkIndices, checkRuns, countBelow, dictionaryEntries } from './parquet-runs.ts';

type Hyparquet = typeof import('hyparquet');
type FileMetaData = import('hyparquet').FileMetaData;
type ColumnChunk = import('hyparquet').ColumnChunk;
type ColumnMetaData = import('hyparquet').ColumnMetaData;
type PageHeader = import('hyparquet').PageHeader;
type AsyncBuffer = import('hyparquet').AsyncBuffer;
type Compressors = import('hyparquet').Compressors;
type ReadOptions = Parameters<Hyparquet['parquetRead']>[0];
type SchemaPath = Parameters<typeof import('hyparquet/src/schema.js')['getMaxDefinitionLevel']>[0];

interface Modules {
  pq: Hyparquet;
  parquetHeader: (reader: { view: DataView; offset: number }) => PageHeader;
  schema: typeof import('hyparquet/src/schema.js');
}
let modules: Promise<Modules> | undefined;
function load(): Promise<Modules> {
  return (modules ??= Promise.all([import('hyparquet'), import('hyparquet/src/column.js'), import('hyparquet/src/schema.js')])
    .then(([pq, column, schema]) => ({ pq, parquetHeader: column.parquetHeader as unknown as Modules['parquetHeader'], schema })));
}

/** Pages larger than this (uncompressed) are refused as corrupt: no writer makes them, decoding one would exhaust memory. */
const MAX_PAGE_BYTES = 1 << 30;

/**
 * Where the bytes come from: a file on disk (read by range) or bytes in memory.
 *
 * @example
 * const source: ByteSource = bytesSource(new Uint8Array(await readFile(path)));
 */
export interface ByteSource {
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Bytes in memory as a `ByteSource`.
 *
 * @example
 * const pq = await GuardedParquet.open(bytesSource(bytes), 'checkpoint 10');
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.byteLength, read: async (s, e) => bytes.slice(s, e), close: async () => undefined };
}

/**
 * A file read by range (kept open until `close`), or an object at an `s3://`/`az://` URL read by ranged requests.
 * ENOENT and other filesystem errors are thrown as they are.
 *
 * @example
 * const source = await fileSource('/t/part-0.parquet');
 */
export async function fileSource(path: string): Promise<ByteSource> {
  if (isObjectStoreUrl(path)) return openObjectSource(path); // ranged GETs; a missing object throws ENOENT too
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(start, end) {
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) throw new ParquetFileError(path, `the file ended at byte ${start + done} while ${end} bytes were expected (it shrank while being read)`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

const asArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer) as ArrayBuffer;

interface ChunkInfo {
  readonly rowGroup: number;
  readonly column: string;
  readonly start: number;
  readonly end: number;
  readonly meta: ColumnMetaData;
  readonly rows: number;
  readonly maxDef: number;
  readonly maxRep: number;
}

/**
 * A Parquet file whose footer and metadata passed the checks; row groups are decoded one at a time, each column chunk
 * checked before hyparquet decodes it.
 *
 * @example
 * const pq = await GuardedParquet.open(await fileSource(path), path);
 * try { await pq.readRowGroup(0, { columns: ['id'], onChunk: (c) => use(c) }); } finally { await pq.close(); }
 */
export class GuardedParquet {
  readonly label: string;
  readonly metadata: FileMetaData;
  /** First row of each row group. */
  readonly groupStarts: readonly number[];
  private readonly source: ByteSource;
  private readonly modules: Modules;
  private readonly chunks: readonly (readonly ChunkInfo[])[];
  private readonly checked = new Set<ChunkInfo>();
  private compressors: Compressors | undefined;

  private constructor(source: ByteSource, label: string, metadata: FileMetaData, modules: Modules, chunks: ChunkInfo[][], groupStarts: number[]) {
    this.source = source;
    this.label = label;
    this.metadata = metadata;
    this.modules = modules;
    this.chunks = chunks;
    this.groupStarts = groupStarts;
  }

  /**
   * Reads and checks the footer and metadata (steps 1–2). Closes the source when they are refused.
   *
   * @example
   * const pq = await GuardedParquet.open(await fileSource(path), path);
   */
  static async open(source: ByteSource, label: string): Promise<GuardedParquet> {
    try {
      const modules = await load();
      const { size } = source;
      if (size < 12) throw new ParquetFileError(label, `it is ${size} bytes long, too short to be Parquet (a Parquet file is at least 12 bytes)`);
      const tail = await source.read(size - 8, size);
      const head = await source.read(0, 4);
      const magic = (b: Uint8Array, at: number): boolean => b[at] === 0x50 && b[at + 1] === 0x41 && b[at + 2] === 0x52 && b[at + 3] === 0x31;
      if (!magic(head, 0)) throw new ParquetFileError(label, 'it does not start with the Parquet magic bytes PAR1 (not a Parquet file, or damaged)');
      if (!magic(tail, 4)) throw new ParquetFileError(label, 'it does not end with the Parquet magic bytes PAR1 (truncated, or not a Parquet file)');
      const metadataLength = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
      const footerStart = size - 8 - metadataLength;
      if (metadataLength === 0 || footerStart < 4) throw new ParquetFileError(label, `its footer claims ${metadataLength} bytes of metadata in a ${size}-byte file (truncated or damaged)`);
      const footer = await source.read(footerStart, size);
      let metadata: FileMetaData;
      try {
        metadata = modules.pq.parquetMetadata(asArrayBuffer(footer));
      } catch (cause) {
        throw new ParquetFileError(label, `its footer metadata cannot be parsed (${(cause as Error).message})`, { cause });
      }
      const { chunks, groupStarts } = checkMetadata(label, metadata, footerStart, modules);
      return new GuardedParquet(source, label, metadata, modules, chunks, groupStarts);
    } catch (e) {
      await source.close().catch(() => undefined);
      if (e instanceof RiffleError) throw e;
      throw new ParquetFileError(label, (e as Error).message, { cause: e });
    }
  }

  /** The decompressors for this file's codecs (set by the caller, e.g. native snappy). */
  useCompressors(compressors: Compressors | undefined): void {
    this.compressors = compressors;
  }

  /**
   * Decodes one row group through hyparquet's `parquetRead` (`columns`, `parsers`, `onChunk`, `onComplete`,
   * `rowFormat` as hyparquet takes them), checking each column chunk first and the decoded row counts after.
   *
   * @example
   * await pq.readRowGroup(0, { columns: ['id'], onChunk: ({ columnName, columnData }) => console.log(columnName, columnData.length) });
   */
  async readRowGroup(index: number, options: Omit<ReadOptions, 'file' | 'metadata' | 'rowStart' | 'rowEnd' | 'compressors'>): Promise<void> {
    const rows = Number(this.metadata.row_groups[index].num_rows);
    const start = this.groupStarts[index];
    if (rows === 0) return;
    const wanted = this.chunks[index].filter((c) => !options.columns || options.columns.includes(c.column.split('.')[0]));
    const pending = new Set(wanted.filter((c) => !this.checked.has(c)));
    const file: AsyncBuffer = {
      byteLength: this.source.size,
      slice: async (s: number, e: number = this.source.size): Promise<ArrayBuffer> => {
        const bytes = await this.source.read(s, e);
        for (const chunk of [...pending]) {
          if (chunk.end <= s || chunk.start >= e) continue;
          const inside = chunk.start >= s && chunk.end <= e;
          this.checkChunk(chunk, inside ? bytes.subarray(chunk.start - s, chunk.end - s) : await this.source.read(chunk.start, chunk.end));
          pending.delete(chunk);
          this.checked.add(chunk);
        }
        return asArrayBuffer(bytes);
      },
    };
    const delivered = new Map<string, number>();
    const userChunk = options.onChunk;
    try {
      await this.modules.pq.parquetRead({
        ...options, file, metadata: this.metadata, rowStart: start, rowEnd: start + rows,
        ...(this.compressors ? { compressors: this.compressors } : {}),
        onChunk: (chunk) => {
          const n = Math.min(chunk.rowEnd, start + rows) - Math.max(chunk.rowStart, start);
          if (n > 0) delivered.set(chunk.columnName, (delivered.get(chunk.columnName) ?? 0) + n);
          userChunk?.(chunk);
        },
      } as ReadOptions);
    } catch (cause) {
      if (cause instanceof RiffleError) throw cause;
      throw new ParquetFileError(this.label, `decoding failed (${(cause as Error).message})`, { rowGroup: index, cause });
    }
    for (const name of new Set(wanted.map((c) => c.column.split('.')[0]))) {
      const got = delivered.get(name) ?? 0;
      if (got !== rows) throw new ParquetFileError(this.label, `decoded ${got} values for ${rows} rows`, { rowGroup: index, column: name });
    }
  }

  /**
   * Step 3 alone, for decoders other than hyparquet (parquet-wasm, see arrow-read.ts): walks and CRC-checks the pages
   * of the named top-level columns in one row group (each chunk once per file), reading them from the source.
   *
   * @example
   * await pq.checkRowGroup(0, ['id', 'amount']);
   */
  async checkRowGroup(index: number, columns: readonly string[]): Promise<void> {
    for (const chunk of this.chunks[index]) {
      if (this.checked.has(chunk) || !columns.includes(chunk.column.split('.')[0])) continue;
      this.checkChunk(chunk, await this.source.read(chunk.start, chunk.end));
      this.checked.add(chunk);
    }
  }

  /** Closes the underlying file. */
  close(): Promise<void> {
    return this.source.close();
  }

  /** Step 3: the pages of one column chunk. */
  private checkChunk(chunk: ChunkInfo, bytes: Uint8Array): void {
    const bad = (reason: string): never => { throw new ParquetFileError(this.label, reason, { rowGroup: chunk.rowGroup, column: chunk.column }); };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    let values = 0;
    let dictionary = false;
    // A page header is outside its page's CRC: its encoding must be one the chunk's metadata lists, and a dictionary
    // encoding needs the chunk's dictionary page (a flipped bit in PLAIN otherwise reads as indices into nothing).
    const listed = new Set<string>(Array.isArray(chunk.meta.encodings) ? chunk.meta.encodings.map(String) : []);
    const checkEncoding = (encoding: unknown, at: number): void => {
      const e = String(encoding);
      if (listed.size > 0 && !listed.has(e)) bad(`the data page at byte ${chunk.start + at} is encoded ${e}, which its column chunk does not list (${[...listed].join(', ')})`);
      if ((e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY') && !dictionary) bad(`the data page at byte ${chunk.start + at} is dictionary-encoded, but its column chunk has no dictionary page before it`);
    };
    while (pos < bytes.length) {
      const reader = { view, offset: pos };
      let header: PageHeader;
      try {
        header = this.modules.parquetHeader(reader);
      } catch (cause) {
        return bad(`the page header at byte ${chunk.start + pos} cannot be parsed (${(cause as Error).message})`);
      }
      const bodyStart = reader.offset;
      const size = header.compressed_page_size;
      if (!isCount(size) || bodyStart + size > bytes.length) bad(`the page at byte ${chunk.start + pos} claims ${String(size)} bytes, past the end of its column chunk`);
      if (!isCount(header.uncompressed_page_size) || header.uncompressed_page_size > MAX_PAGE_BYTES) bad(`the page at byte ${chunk.start + pos} claims ${String(header.uncompressed_page_size)} uncompressed bytes`);
      const body = bytes.subarray(bodyStart, bodyStart + size);
      const hasCrc = header.crc !== undefined && header.crc !== null;
      if (hasCrc && (crc32(body) | 0) !== (Number(header.crc) | 0)) bad(`the page at byte ${chunk.start + pos} fails its checksum (CRC-32): its bytes were changed after writing`);
      if (header.type === 'DATA_PAGE') {
        const h = header.data_page_header;
        if (!h || !isCount(h.num_values)) return bad(`the data page at byte ${chunk.start + pos} has no valid value count`);
        values += h.num_values;
        checkEncoding(h.encoding, pos);
        if (!hasCrc) this.checkRunsV1(chunk, header, body, bad);
      } else if (header.type === 'DATA_PAGE_V2') {
        const h = header.data_page_header_v2;
        if (!h || !isCount(h.num_values) || !isCount(h.num_rows) || !isCount(h.num_nulls) || h.num_nulls > h.num_values
          || !isCount(h.definition_levels_byte_length) || !isCount(h.repetition_levels_byte_length)
          || h.definition_levels_byte_length + h.repetition_levels_byte_length > size) {
          return bad(`the data page at byte ${chunk.start + pos} has an invalid header (counts or level lengths)`);
        }
        values += h.num_values;
        checkEncoding(h.encoding, pos);
        // Levels must be there exactly when the schema says the column has them (a footer flip of REQUIRED/OPTIONAL).
        if ((chunk.maxDef === 0) !== (h.definition_levels_byte_length === 0 && h.num_nulls === 0) && h.num_values > 0) {
          bad(`the data page at byte ${chunk.start + pos} has ${h.definition_levels_byte_length} bytes of definition levels for a column whose maximum level is ${chunk.maxDef}`);
        }
        if ((chunk.maxRep === 0) !== (h.repetition_levels_byte_length === 0) && h.num_values > 0) {
          bad(`the data page at byte ${chunk.start + pos} has ${h.repetition_levels_byte_length} bytes of repetition levels for a column whose maximum level is ${chunk.maxRep}`);
        }
        if (!hasCrc) this.checkRunsV2(chunk, header, body, bad);
        // num_nulls is in the header, outside the CRC: it must be what the definition levels say.
        else if (chunk.maxDef > 0 && chunk.maxRep === 0) {
          const nulls = countBelow(body, h.repetition_levels_byte_length, h.repetition_levels_byte_length + h.definition_levels_byte_length, bitWidth(chunk.maxDef), h.num_values, chunk.maxDef, bad);
          if (nulls !== h.num_nulls) bad(`the data page at byte ${chunk.start + pos} claims ${h.num_nulls} nulls, its definition levels hold ${nulls}`);
        }
      } else if (header.type === 'DICTIONARY_PAGE') {
        // At most 8 values a byte (booleans): a larger count is damage, and would size hyparquet's arrays by it.
        const count = header.dictionary_page_header?.num_values;
        if (!isCount(count) || count > header.uncompressed_page_size * 8) bad(`the dictionary page at byte ${chunk.start + pos} claims ${String(count)} values in ${header.uncompressed_page_size} bytes`);
        // The count is in the header, outside the CRC: a smaller one would turn the last entries' rows into nulls.
        const held = dictionaryEntries(this.decompress(chunk, body, header.uncompressed_page_size, bad), String(chunk.meta.type));
        if (held !== undefined && held !== count) bad(`the dictionary page at byte ${chunk.start + pos} claims ${String(count)} values and holds ${held}`);
        dictionary = true;
      } else if (header.type !== 'INDEX_PAGE') {
        bad(`the page at byte ${chunk.start + pos} has an unknown page type`);
      }
      pos = bodyStart + size;
    }
    if (values !== Number(chunk.meta.num_values)) bad(`its pages hold ${values} values, its metadata says ${String(chunk.meta.num_values)}`);
    if (chunk.maxRep === 0 && values !== chunk.rows) bad(`its pages hold ${values} values for ${chunk.rows} rows`);
  }

  private decompress(chunk: ChunkInfo, data: Uint8Array, size: number, bad: (r: string) => never): Uint8Array {
    const codec = chunk.meta.codec;
    if (codec === 'UNCOMPRESSED') return data;
    try {
      const custom = this.compressors?.[codec];
      if (custom) return custom(data, size);
      if (codec === 'SNAPPY') {
        const out = new Uint8Array(size);
        this.modules.pq.snappyUncompress(data, out);
        return out;
      }
    } catch (cause) {
      return bad(`a page cannot be decompressed (${codec}: ${(cause as Error).message})`);
    }
    return bad(`no decompressor for codec ${codec}`);
  }

  /** Run headers of a v1 page (levels and data compressed together). */
  private checkRunsV1(chunk: ChunkInfo, header: PageHeader, body: Uint8Array, bad: (r: string) => never): void {
    const h = header.data_page_header as NonNullable<PageHeader['data_page_header']>;
    const page = this.decompress(chunk, body, header.uncompressed_page_size, bad);
    let pos = 0;
    for (const [max, encoding] of [[chunk.maxRep, h.repetition_level_encoding], [chunk.maxDef, h.definition_level_encoding]] as const) {
      if (max === 0) continue;
      if (encoding !== 'RLE') return; // deprecated BIT_PACKED levels: fixed width, no runs to check
      if (pos + 4 > page.length) bad('a data page ends inside its levels');
      const length = new DataView(page.buffer, page.byteOffset + pos, 4).getUint32(0, true);
      pos += 4;
      if (pos + length > page.length) bad(`a data page's levels claim ${length} bytes, past the end of the page`);
      checkRuns(page, pos, pos + length, bitWidth(max), h.num_values, bad);
      pos += length;
    }
    if (h.encoding === 'RLE_DICTIONARY' || h.encoding === 'PLAIN_DICTIONARY') checkIndices(page, pos, h.num_values, bad);
  }

  /** Run headers of a v2 page (levels uncompressed before the data). */
  private checkRunsV2(chunk: ChunkInfo, header: PageHeader, body: Uint8Array, bad: (r: string) => never): void {
    const h = header.data_page_header_v2 as NonNullable<PageHeader['data_page_header_v2']>;
    const rep = h.repetition_levels_byte_length;
    const def = h.definition_levels_byte_length;
    if (chunk.maxRep > 0) checkRuns(body, 0, rep, bitWidth(chunk.maxRep), h.num_values, bad);
    if (chunk.maxDef > 0) checkRuns(body, rep, rep + def, bitWidth(chunk.maxDef), h.num_values, bad);
    if (h.encoding === 'RLE_DICTIONARY' || h.encoding === 'PLAIN_DICTIONARY') {
      const data = body.subarray(rep + def);
      const page = h.is_compressed === false ? data : this.decompress(chunk, data, header.uncompressed_page_size - rep - def, bad);
      checkIndices(page, 0, h.num_values - h.num_nulls, bad);
    }
  }
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Step 2: every chunk inside the data area, counts consistent. */
function checkMetadata(label: string, md: FileMetaData, footerStart: number, modules: Modules): { chunks: ChunkInfo[][]; groupStarts: number[] } {
  const bad = (reason: string, rowGroup?: number, column?: string): never => {
    throw new ParquetFileError(label, reason, { ...(rowGroup !== undefined ? { rowGroup } : {}), ...(column !== undefined ? { column } : {}) });
  };
  if (!Array.isArray(md.schema) || md.schema.length === 0 || !Array.isArray(md.row_groups)) bad('its metadata has no schema or no row group list');
  let tree;
  try {
    tree = modules.pq.parquetSchema(md);
  } catch (cause) {
    return bad(`its schema is malformed (${(cause as Error).message})`);
  }
  const leaves: { path: string[]; schemaPath: SchemaPath }[] = [];
  const walk = (node: typeof tree, path: string[], schemaPath: SchemaPath): void => {
    if (node.children.length === 0) { leaves.push({ path, schemaPath }); return; }
    for (const child of node.children) walk(child, [...path, child.element.name], [...schemaPath, child] as SchemaPath);
  };
  walk(tree, [], [tree] as SchemaPath);
  const chunks: ChunkInfo[][] = [];
  const groupStarts: number[] = [];
  let total = 0;
  md.row_groups.forEach((group, g) => {
    const rows = Number(group.num_rows);
    if (!Number.isSafeInteger(rows) || rows < 0) bad(`its metadata claims ${String(group.num_rows)} rows`, g);
    if (!Array.isArray(group.columns) || (rows > 0 && group.columns.length !== leaves.length)) bad(`it has ${group.columns?.length} column chunks for ${leaves.length} columns`, g);
    groupStarts.push(total);
    total += rows;
    chunks.push(group.columns.map((c: ColumnChunk, i: number) => {
      const meta = c.meta_data;
      const leaf = leaves[i];
      const name = leaf?.path.join('.') ?? `#${i}`;
      if (!meta || !leaf) return bad('its metadata has no column metadata', g, name);
      if (c.file_path) bad('its column chunk lives in another file (file_path), which Riffle does not read', g, name);
      if (meta.path_in_schema?.join('.') !== name) bad(`its column chunk is for '${meta.path_in_schema?.join('.')}', the schema says '${name}'`, g, name);
      const schemaType = leaf.schemaPath[leaf.schemaPath.length - 1]?.element.type;
      if (schemaType !== undefined && meta.type !== schemaType) bad(`its column chunk holds ${String(meta.type)} values, the schema says ${String(schemaType)}`, g, name);
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const length = Number(meta.total_compressed_size);
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 4 || length <= 0 || start + length > footerStart) {
        bad(`its column chunk at byte ${String(start)} of ${String(length)} bytes lies outside the data area (bytes 4 to ${footerStart})`, g, name);
      }
      if (!isCount(Number(meta.num_values))) bad(`its column chunk claims ${String(meta.num_values)} values`, g, name);
      return {
        rowGroup: g, column: name, start, end: start + length, meta, rows,
        maxDef: modules.schema.getMaxDefinitionLevel(leaf.schemaPath), maxRep: modules.schema.getMaxRepetitionLevel(leaf.schemaPath),
      };
    }));
  });
  if (Number(md.num_rows) !== total) bad(`its row groups hold ${total} rows, its metadata says ${String(md.num_rows)}`);
  return { chunks, groupStarts };
}
