// Parquet engines for src/lakehouse, measured per direction on this machine, in one run (never part of npm test):
//
//   node --import tsx bench/parquet-engines.ts [--rows 1000000] [--mix events,mixed] [--json]
//
// Engines (every one takes or gives typed columns — Float64Array, BigInt64Array, Int32Array, strings — plus nulls):
//   riffle      the current path: writeParquet (since session 10: DuckDB's writer + the page-CRC pass for files of
//               ≥ 64K rows of primitive columns, else hyparquet-writer + page CRCs) / readRowGroups (guarded hyparquet)
//   hyparquet   hyparquet-writer / hyparquet alone (no CRCs, no guard): what the library costs by itself
//   parquet-wasm  arrow-rs compiled to WebAssembly, through apache-arrow IPC (write: Arrow table → IPC → Parquet;
//               read: Parquet → IPC → Arrow table, strings left as UTF-8 bytes in Arrow vectors)
//   duckdb      DuckDB's native writer/reader: write = typed columns into a temporary table by appender data chunks,
//               then COPY … TO parquet; read = read_parquet streamed in data chunks, numbers copied out of the chunk
//               vectors, strings made JS strings
// Mixes: `events` (the lakehouse bench's schema: id long, low-cardinality country, amount double, ts timestamp, x, y
// longs) and `mixed` (int32, double with 10% nulls, high-cardinality strings, decimal(12,2), timestamps, nullable
// low-cardinality strings). Snappy everywhere, 128K-row groups. MB/s is of the Parquet bytes; CPU-s is the process's
// user+system time (all threads: DuckDB's and WebAssembly's included); each cell is the best of REPEAT runs.
// Also prints, for each engine's file, whether its pages carry CRCs and its row groups statistics.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readRowGroups, writeParquet } from '../src/lakehouse/parquet-io.ts';
import type { DeltaValue, SchemaField } from '../src/lakehouse/index.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : String(process.argv[i + 1]);
}
const ROWS = Number(flag('rows', '1000000').replace(/_/g, ''));
const MIXES = flag('mix', 'events,mixed').split(',');
const REPEAT = Number(flag('repeat', '2'));
const ENGINES = flag('engines', 'riffle,hyparquet,parquet-wasm,duckdb').split(',');
const GROUP = 128 * 1024;

type Kind = 'long' | 'integer' | 'double' | 'string' | 'timestamp' | 'decimal(12,2)';
/** One generated column: typed values, a null mask (1 = null) or none, and strings for string columns. */
interface Column {
  readonly name: string;
  readonly kind: Kind;
  readonly values: BigInt64Array | Int32Array | Float64Array | string[];
  readonly nulls?: Uint8Array;
}

const COUNTRIES = ['fr', 'de', 'us', 'jp', 'br'];
function makeMix(mix: string, n: number): Column[] {
  const range = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  const nullsEvery = (k: number) => Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761) >>> 0) % k === 0 ? 1 : 0);
  if (mix === 'events') {
    return [
      { name: 'id', kind: 'long', values: BigInt64Array.from(range((i) => BigInt(i))) },
      { name: 'country', kind: 'string', values: range((i) => COUNTRIES[i % 5]) },
      { name: 'amount', kind: 'double', values: Float64Array.from(range((i) => (i % 10_007) * 0.5)) },
      { name: 'ts', kind: 'timestamp', values: BigInt64Array.from(range((i) => 1_700_000_000_000_000n + BigInt(i) * 1000n)) },
      { name: 'x', kind: 'long', values: BigInt64Array.from(range((i) => BigInt((i * 7919) % 1_000_003))) },
      { name: 'y', kind: 'long', values: BigInt64Array.from(range((i) => BigInt((i * 104_729) % 999_983))) },
    ];
  }
  if (mix === 'mixed') {
    return [
      { name: 'qty', kind: 'integer', values: Int32Array.from(range((i) => (i * 31) % 1000)) },
      { name: 'price', kind: 'double', values: Float64Array.from(range((i) => ((i * 37) % 100_000) / 100)), nulls: nullsEvery(10) },
      { name: 'user', kind: 'string', values: range((i) => `user-${((i * 2654435761) >>> 0).toString(36)}`) },
      { name: 'total', kind: 'decimal(12,2)', values: BigInt64Array.from(range((i) => BigInt((i * 7) % 10_000_000))) },
      { name: 'at', kind: 'timestamp', values: BigInt64Array.from(range((i) => 1_700_000_000_000_000n + BigInt(i) * 997n)) },
      { name: 'status', kind: 'string', values: range((i) => ['new', 'paid', 'shipped', 'refunded'][(i * 13) % 4]), nulls: nullsEvery(20) },
    ];
  }
  throw new Error(`--mix: unknown mix '${mix}' (events, mixed)`);
}

interface Engine {
  write(columns: Column[], file: string): Promise<void>;
  read(file: string, columns: Column[]): Promise<number>;
}

// ---- riffle (current path) and hyparquet alone ----------------------------------------------------------------------
function riffleFields(columns: Column[]): SchemaField[] {
  return columns.map((c) => ({ name: c.name, type: c.kind, nullable: true, metadata: {} }) as SchemaField);
}
/** The canonical values the current writer takes (long/timestamp bigints, decimal strings) — built outside timing. */
function canonical(c: Column): DeltaValue[] {
  const out = new Array<DeltaValue>(c.values.length);
  for (let i = 0; i < out.length; i++) {
    if (c.nulls?.[i] === 1) { out[i] = null; continue; }
    const v = c.values[i];
    out[i] = c.kind === 'decimal(12,2)' ? decimalText(v as bigint) : v as DeltaValue;
  }
  return out;
}
function decimalText(v: bigint): string {
  const s = v.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}
const canonicalCache = new WeakMap<Column[], DeltaValue[][]>();
const riffle: Engine = {
  async write(columns, file) {
    const values = canonicalCache.get(columns) ?? canonicalCache.set(columns, columns.map(canonical)).get(columns)!;
    writeFileSync(file, await writeParquet(riffleFields(columns), values));
  },
  async read(file, columns) {
    let n = 0;
    for await (const g of readRowGroups(file, riffleFields(columns))) n += g.numRows;
    return n;
  },
};

const hyparquet: Engine = {
  async write(columns, file) {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const { schemaElement } = await import('../src/lakehouse/parquet-layout.ts');
    const { physicalValues } = await import('../src/lakehouse/parquet-layout.ts');
    const values = canonicalCache.get(columns) ?? canonicalCache.set(columns, columns.map(canonical)).get(columns)!;
    const fields = riffleFields(columns);
    const bytes = parquetWriteBuffer({
      schema: [{ name: 'schema', num_children: columns.length }, ...fields.map((f, i) => schemaElement(f, columns[i].nulls === undefined))],
      columnData: fields.map((f, i) => ({ name: f.name, data: physicalValues(f, values[i]) as unknown[] })) as never,
      rowGroupSize: GROUP, codec: 'SNAPPY',
    });
    writeFileSync(file, new Uint8Array(bytes));
  },
  async read(file) {
    const { parquetRead } = await import('hyparquet');
    const buf = readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    let n = 0;
    await parquetRead({ file: ab, utf8: true, onChunk: ({ rowEnd, rowStart, columnName }) => { if (columnName === 'qty' || columnName === 'id') n += rowEnd - rowStart; } });
    return n;
  },
};

// ---- parquet-wasm through apache-arrow -----------------------------------------------------------------------------
type Arrow = typeof import('apache-arrow');
function validity(nulls: Uint8Array | undefined, n: number): Uint8Array | undefined {
  if (nulls === undefined) return undefined;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (nulls[i] === 0) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}
function arrowTable(arrow: Arrow, columns: Column[]): import('apache-arrow').Table {
  const vectors: Record<string, import('apache-arrow').Vector> = {};
  for (const c of columns) {
    const n = c.values.length;
    const nullBitmap = validity(c.nulls, n);
    const nullCount = c.nulls ? c.nulls.reduce((a, b) => a + b, 0) : 0;
    let data: import('apache-arrow').Data;
    switch (c.kind) {
      case 'long': data = arrow.makeData({ type: new arrow.Int64(), length: n, data: c.values as BigInt64Array, nullBitmap, nullCount }); break;
      case 'integer': data = arrow.makeData({ type: new arrow.Int32(), length: n, data: c.values as Int32Array, nullBitmap, nullCount }); break;
      case 'double': data = arrow.makeData({ type: new arrow.Float64(), length: n, data: c.values as Float64Array, nullBitmap, nullCount }); break;
      case 'timestamp': data = arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: n, data: c.values as BigInt64Array, nullBitmap, nullCount }); break;
      case 'decimal(12,2)': {
        const wide = new BigInt64Array(n * 2);
        const v = c.values as BigInt64Array;
        for (let i = 0; i < n; i++) { wide[2 * i] = v[i]; wide[2 * i + 1] = v[i] < 0n ? -1n : 0n; }
        data = arrow.makeData({ type: new arrow.Decimal(2, 12, 128), length: n, data: new Uint32Array(wide.buffer), nullBitmap, nullCount });
        break;
      }
      case 'string': {
        const strings = c.values as string[];
        const vec = arrow.vectorFromArray(c.nulls ? strings.map((s, i) => (c.nulls![i] ? null : s)) : strings, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
        vectors[c.name] = vec;
        continue;
      }
    }
    vectors[c.name] = arrow.makeVector(data);
  }
  return new arrow.Table(vectors);
}
const tableCache = new WeakMap<Column[], import('apache-arrow').Table>();
const parquetWasm: Engine = {
  async write(columns, file) {
    const arrow = await import('apache-arrow');
    const pw = await import('parquet-wasm');
    // The Arrow table is built outside the timing in a real batch path (it is the currency); the IPC hop is timed.
    const table = tableCache.get(columns) ?? tableCache.set(columns, arrowTable(arrow, columns)).get(columns)!;
    const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(GROUP).build();
    writeFileSync(file, pw.writeParquet(wasmTable, props));
  },
  async read(file) {
    const arrow = await import('apache-arrow');
    const pw = await import('parquet-wasm');
    const t = arrow.tableFromIPC(pw.readParquet(readFileSync(file)).intoIPCStream());
    for (const f of t.schema.fields) t.getChild(f.name)!.data.forEach((d) => d.values);
    return t.numRows;
  },
};

// ---- DuckDB ---------------------------------------------------------------------------------------------------------
const duckType = (k: Kind) => ({ long: 'BIGINT', integer: 'INTEGER', double: 'DOUBLE', string: 'VARCHAR', timestamp: 'TIMESTAMPTZ', 'decimal(12,2)': 'DECIMAL(12,2)' })[k];
let duckConn: Promise<import('@duckdb/node-api').DuckDBConnection> | undefined;
async function duck(): Promise<import('@duckdb/node-api').DuckDBConnection> {
  return (duckConn ??= (async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    return (await DuckDBInstance.create(':memory:')).connect();
  })());
}
const duckdb: Engine = {
  async write(columns, file) {
    const conn = await duck();
    const { loadColumns } = await import('../src/sql/column-loader.ts');
    await conn.run('DROP TABLE IF EXISTS bench_t');
    await loadColumns(conn, 'bench_t', columns.map((c) => ({
      name: c.name, type: duckType(c.kind), values: c.values, nulls: c.nulls,
    })), c0Rows(columns));
    await conn.run(`COPY bench_t TO '${file}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${GROUP})`);
  },
  async read(file) {
    const conn = await duck();
    const { readColumns } = await import('../src/sql/column-loader.ts');
    let n = 0;
    for await (const batch of readColumns(conn, `SELECT * FROM read_parquet('${file}')`)) n += batch.rows;
    return n;
  },
};
const c0Rows = (columns: Column[]) => columns[0].values.length;

/** Whether every page of the file has a CRC, and whether each column chunk has statistics. */
async function inspect(file: string): Promise<{ crc: string; stats: string }> {
  const { parquetMetadata } = await import('hyparquet');
  const { parquetHeader } = await import('hyparquet/src/column.js') as unknown as { parquetHeader: (r: { view: DataView; offset: number }) => { crc?: number; compressed_page_size: number } };
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const meta = parquetMetadata(ab);
  const view = new DataView(ab);
  let pages = 0;
  let withCrc = 0;
  let chunks = 0;
  let withStats = 0;
  for (const g of meta.row_groups) {
    for (const c of g.columns) {
      const m = c.meta_data!;
      chunks++;
      if (m.statistics?.min_value !== undefined || m.statistics?.max_value !== undefined) withStats++;
      const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
      const end = start + Number(m.total_compressed_size);
      const r = { view, offset: start };
      while (r.offset < end) {
        const h = parquetHeader(r);
        pages++;
        if (h.crc !== undefined) withCrc++;
        r.offset += h.compressed_page_size;
      }
    }
  }
  return { crc: `${withCrc}/${pages}`, stats: `${withStats}/${chunks}` };
}

const ALL: Record<string, Engine> = { riffle, hyparquet, 'parquet-wasm': parquetWasm, duckdb };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
async function timed(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  let best = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    const c0 = cpu();
    await f();
    const m = { wall: (performance.now() - t0) / 1000, cpu: cpu() - c0 };
    if (m.cpu < best.cpu) best = m;
  }
  return best;
}

const dir = mkdtempSync(join(tmpdir(), 'riffle-pq-engines-'));
const rows: string[][] = [];
try {
  for (const mix of MIXES) {
    const columns = makeMix(mix, ROWS);
    for (const name of ENGINES) {
      const engine = ALL[name];
      if (engine === undefined) throw new Error(`--engines: unknown engine '${name}' (${Object.keys(ALL).join(', ')})`);
      const file = join(dir, `${mix}-${name}.parquet`);
      await engine.write(columns, file); // warm-up: modules loaded, caches built
      const w = await timed(() => engine.write(columns, file));
      const size = readFileSync(file).byteLength;
      const n = await engine.read(file, columns);
      if (n !== ROWS) throw new Error(`${name} read ${n} rows of ${mix}, wrote ${ROWS}`);
      const r = await timed(() => engine.read(file, columns));
      const { crc, stats } = await inspect(file);
      const mbs = (s: number) => (size / 1024 / 1024 / s).toFixed(1);
      rows.push([mix, name, (size / 1024 / 1024).toFixed(1), mbs(w.wall), w.cpu.toFixed(2), mbs(r.wall), r.cpu.toFixed(2), crc, stats]);
      process.stderr.write(`  ${mix} ${name} done\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const header = ['mix', 'engine', 'file MB', 'write MB/s', 'write CPU-s', 'read MB/s', 'read CPU-s', 'page CRCs', 'stats'];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ rows: ROWS, load: loadavg(), results: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) }));
} else {
  console.log(`Parquet engines, ${ROWS.toLocaleString()} rows per mix, best of ${REPEAT}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
