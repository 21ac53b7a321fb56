// Parquet library comparison for src/lakehouse: hyparquet + hyparquet-writer (pure JS) vs parquet-wasm (Rust
// `parquet` crate compiled to WebAssembly, driven through apache-arrow). Writes and reads ROWS rows of a typical
// event schema (long id, string name, low-cardinality string, double, boolean, timestamp µs), from row objects to
// file bytes and back to row objects, because that is what the Delta writer and reader do. Prints MB/s of the
// Parquet bytes and rows/s. Usage:
//   node --import tsx bench/lakehouse-parquet.ts [rows]
// parquet-wasm and apache-arrow are not dependencies of Riffle; install them without saving to compare:
//   npm install --no-save parquet-wasm apache-arrow
import { performance } from 'node:perf_hooks';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const REPEAT = 3;

interface Event {
  id: bigint;
  name: string;
  country: string;
  amount: number;
  active: boolean;
  ts: bigint;
}

function makeRows(n: number): Event[] {
  const countries = ['fr', 'de', 'us', 'jp', 'br', 'in', 'uk', 'es'];
  const base = 1_700_000_000_000_000n;
  const rows: Event[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      id: BigInt(i),
      name: `user-${(i * 7919) % 100_000}`,
      country: countries[i % countries.length],
      amount: Math.round(((i * 37) % 10_000) * 1.37) / 100,
      active: i % 3 === 0,
      ts: base + BigInt(i) * 1_000n,
    };
  }
  return rows;
}

interface Result { library: string; bytes: number; writeMs: number; readMs: number; }

async function benchHyparquet(rows: Event[]): Promise<Result> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const { parquetReadObjects } = await import('hyparquet');
  const write = (): ArrayBuffer => {
    const col = <K extends keyof Event>(k: K): Event[K][] => rows.map((r) => r[k]);
    return parquetWriteBuffer({
      columnData: [
        { name: 'id', data: col('id') },
        { name: 'name', data: col('name') },
        { name: 'country', data: col('country') },
        { name: 'amount', data: col('amount') },
        { name: 'active', data: col('active') },
        { name: 'ts', data: col('ts') },
      ],
      schema: [
        { name: 'root', num_children: 6 },
        { name: 'id', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'country', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'amount', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        { name: 'active', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
        { name: 'ts', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
      ],
      rowGroupSize: 128 * 1024,
    });
  };
  const read = async (buf: ArrayBuffer): Promise<number> => {
    const out = await parquetReadObjects({ file: buf, parsers: { timestampFromMicroseconds: (v: bigint) => v } });
    return out.length;
  };
  return measure('hyparquet-writer + hyparquet (JS)', write, read);
}

async function benchParquetWasm(rows: Event[]): Promise<Result | string> {
  let wasm: any;
  let arrow: any;
  try {
    const wasmSpec = 'parquet-wasm/node';
    const arrowSpec = 'apache-arrow';
    wasm = await import(wasmSpec);
    arrow = await import(arrowSpec);
  } catch {
    return 'parquet-wasm: not installed (npm install --no-save parquet-wasm apache-arrow)';
  }
  const write = (): Uint8Array => {
    const table = arrow.tableFromArrays({
      id: BigInt64Array.from(rows, (r) => r.id),
      name: arrow.vectorFromArray(rows.map((r) => r.name), new arrow.Utf8()),
      country: arrow.vectorFromArray(rows.map((r) => r.country), new arrow.Utf8()),
      amount: Float64Array.from(rows, (r) => r.amount),
      active: arrow.vectorFromArray(rows.map((r) => r.active), new arrow.Bool()),
      ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: rows.length, data: BigInt64Array.from(rows, (r) => r.ts) })),
    });
    const wasmTable = wasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
    const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).setMaxRowGroupSize(128 * 1024).build();
    return wasm.writeParquet(wasmTable, props);
  };
  const read = (buf: Uint8Array): number => {
    const table = arrow.tableFromIPC(wasm.readParquet(buf).intoIPCStream());
    const out: unknown[] = table.toArray().map((r: any) => r.toJSON());
    return out.length;
  };
  return measure('parquet-wasm + apache-arrow (WASM)', write, read);
}

async function measure<B extends ArrayBuffer | Uint8Array>(library: string, write: () => B, read: (b: B) => number | Promise<number>): Promise<Result> {
  let best = { writeMs: Infinity, readMs: Infinity, bytes: 0 };
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    const buf = write();
    const t1 = performance.now();
    const n = await read(buf);
    const t2 = performance.now();
    if (n !== ROWS) throw new Error(`${library}: read ${n} rows, wrote ${ROWS}`);
    best = { writeMs: Math.min(best.writeMs, t1 - t0), readMs: Math.min(best.readMs, t2 - t1), bytes: buf.byteLength };
  }
  return { library, ...best };
}

const rows = makeRows(ROWS);
const results: (Result | string)[] = [await benchHyparquet(rows), await benchParquetWasm(rows)];
const mb = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const krows = (ms: number): string => (ROWS / 1000 / (ms / 1000)).toFixed(0);
console.log(`\nParquet, ${ROWS.toLocaleString('en')} rows (id long, name, country, amount double, active bool, ts µs), best of ${REPEAT}`);
console.log('library                              file MB  write MB/s  write Krows/s  read MB/s  read Krows/s');
for (const r of results) {
  if (typeof r === 'string') { console.log(r); continue; }
  console.log(`${r.library.padEnd(36)} ${(r.bytes / 1e6).toFixed(1).padStart(7)}  ${mb(r.bytes, r.writeMs).padStart(10)}  ${krows(r.writeMs).padStart(12)}  ${mb(r.bytes, r.readMs).padStart(9)}  ${krows(r.readMs).padStart(11)}`);
}
